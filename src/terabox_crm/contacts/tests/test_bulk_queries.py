"""The contact list's bulk actions are set-based end to end (docs/ui.md "Bulk
actions", docs/performance.md "Webhook fan-out"): 10 and 100 chosen contacts
cost the same queries, the restriction lock (P7) and the webhook fan-out
after the commit (P3, P4) included."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts import services
from terabox_crm.contacts.models import Contact, Tag
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.refusals import Refusal
from terabox_crm.testing.purpose_gate import _officer
from terabox_crm.webhooks import fanout
from terabox_crm.webhooks import services as webhooks
from terabox_crm.webhooks.models import Delivery


@pytest.fixture
def endpoint(cast, settings, monkeypatch):
    """Two endpoints subscribed to ``contact.updated``, one a third party;
    the jobs that would send the requests are only counted."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    queued: list[str] = []
    monkeypatch.setattr(fanout, "enqueue_many", queued.extend)
    with scopes_disabled():
        for third_party in (False, True):
            webhooks.endpoint_create(
                membership=member_of(cast.acme, cast.admin),
                url="http://127.0.0.1:9/hook",
                event_names=["contact.updated"],
                third_party=third_party,
                recipient="Partner" if third_party else "",
            )
    fanout.subscribed_events(cast.acme.pk)  # cached, as in a process that ran before
    return queued


def _contacts(cast, count: int, prefix: str) -> list[Contact]:
    member = member_of(cast.acme, cast.owner)
    with scope(workspace=cast.acme):
        return [make_contact(member, family=f"{prefix}{n}") for n in range(count)]


def _queries(cast, chosen, action, value, capture) -> int:
    with (
        CaptureQueriesContext(connection) as captured,
        scope(workspace=cast.acme),
        capture(execute=True),  # the fan-out after the commit is counted too
    ):
        changed = services.contact_bulk(
            membership=member_of(cast.acme, cast.owner),
            ids=[str(c.pk) for c in chosen],
            action=action,
            value=value,
        )
    assert changed == len(chosen)
    sql = [query["sql"] for query in captured.captured_queries]
    # The deliveries go in multi-row INSERTs (SQLite splits one at its limit
    # of bound values): at most one per 50 deliveries, counted apart.
    inserts = [s for s in sql if s.startswith('INSERT INTO "webhooks_delivery"')]
    assert 1 <= len(inserts) <= 1 + 2 * len(chosen) // 50
    return len(sql) - len(inserts)


@pytest.mark.parametrize("action", ["owner", "stage", "tag_add"])
def test_ten_and_a_hundred_contacts_cost_the_same_queries(
    cast, endpoint, action, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        tag = Tag.objects.create(workspace=cast.acme, name="vip")
    value = {"owner": str(cast.manager.pk), "stage": "customer", "tag_add": str(tag.pk)}[action]
    ten, hundred = _contacts(cast, 10, "T"), _contacts(cast, 100, "H")
    capture = django_capture_on_commit_callbacks
    assert _queries(cast, ten, action, value, capture) == _queries(
        cast, hundred, action, value, capture
    )
    with scopes_disabled():
        assert Delivery.objects.filter(event="contact.updated").count() == 2 * 110
    assert len(endpoint) == 2 * 110


def test_a_restricted_contact_among_many_still_stops_the_whole_change(cast):
    """The lock read in one query for all of them still refuses (P7)."""
    chosen = _contacts(cast, 20, "R")
    from terabox_crm.privacy import services as privacy

    with scope(workspace=cast.acme):
        privacy.restriction_set(
            membership=_officer(cast.acme),
            subject_id=chosen[7].pk,
            reason="asked by phone",
            requested_by="the person",
        )
        with pytest.raises(Refusal) as refused:
            services.contact_bulk(
                membership=member_of(cast.acme, cast.owner),
                ids=[str(c.pk) for c in chosen],
                action="stage",
                value="customer",
            )
    assert refused.value.status == 403
    with scopes_disabled():
        assert not Contact.objects.filter(pk__in=[c.pk for c in chosen], stage="customer").exists()
