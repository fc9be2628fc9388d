"""The audit trail pages: who may see them, what they show, what they cost."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from terabox_crm import audit
from terabox_crm.audit import chain
from terabox_crm.audit.models import AuditEvent
from terabox_crm.audit.tests.conftest import (  # _fresh_signer: autouse, as in audit's tests
    IPHONE,
    PLAIN_EVENT,
    SECURITY_EVENT,
    _fresh_signer,  # noqa: F401
    chain_of,
    record_from,
    tamper,
)
from terabox_crm.auditlog import selectors
from terabox_crm.core.roles import Role
from terabox_crm.crypto import keyring
from terabox_crm.testing import factories
from terabox_crm.testing.auth import login

TRAIL = reverse("audit:trail")
SECURITY = reverse("audit:security")


def get(client, url, **kwargs):
    return client.get(url, secure=True, **kwargs)


def signed_in(client, user):
    login(client, user)
    return client


@pytest.fixture
def trail(cast):
    """A few events in Acme's chain and one in Globex's and the system chain."""
    role_change = record_from(
        action=PLAIN_EVENT,
        workspace=cast.acme,
        actor=cast.admin,
        obj=cast.member_membership,
        payload={"from": "member", "to": "manager"},
        personal={"display_name": {"before": "Old Name", "after": "New Name"}},
        subject_id=cast.member.pk,
    )
    denial = record_from(
        ip="198.51.100.9",
        user_agent=IPHONE,
        action=SECURITY_EVENT,
        workspace=cast.acme,
        actor=cast.viewer,
        payload={"attempted": "members.manage"},
    )
    foreign = record_from(
        ip="192.0.2.66", action=PLAIN_EVENT, workspace=cast.globex, actor=cast.outsider
    )
    system = record_from(ip="192.0.2.77", action=SECURITY_EVENT)
    return {"role_change": role_change, "denial": denial, "foreign": foreign, "system": system}


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_see_the_trail(client, cast, trail, role):
    response = get(signed_in(client, getattr(cast, role)), TRAIL)
    assert response.status_code == 200


def test_an_auditor_sees_the_trail_whatever_their_role(client, cast, trail):
    auditor = factories.make_user("auditor@acme.example")
    factories.add_member(cast.acme, auditor, Role.VIEWER, is_auditor=True)
    assert get(signed_in(client, auditor), TRAIL).status_code == 200


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_other_members_are_refused(client, cast, trail, role):
    response = get(signed_in(client, getattr(cast, role)), TRAIL)
    assert response.status_code == 403
    assert "198.51.100.9" not in response.content.decode()


def test_a_refusal_is_itself_a_security_event(client, cast, trail):
    get(signed_in(client, cast.member), TRAIL)
    assert AuditEvent.objects.filter(
        chain=chain_of(cast.acme), action="security.permission.denied", actor_id=cast.member.pk
    ).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, trail):
    response = get(client, TRAIL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_trail_shows_who_what_from_where_on_which_object(client, cast, trail):
    page = get(signed_in(client, cast.admin), TRAIL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "203.0.113.7" in page
    assert "198.51.100.9" in page
    assert "Chrome 120 on Windows 10" in page
    assert "Mobile Safari 17 on iOS 17 (iPhone)" in page
    assert cast.admin.email in page
    # The object by its kind, not its model label and id (audit/targets.py).
    assert ">Membership</td>" in page
    assert "core.membership" not in page
    assert trail["role_change"].request_id[:10] in page


def test_the_trail_shows_only_the_current_workspaces_chain(client, cast, trail):
    page = get(signed_in(client, cast.admin), TRAIL).content.decode()
    assert "192.0.2.66" not in page  # Globex's event
    assert "192.0.2.77" not in page  # the system chain


def test_the_outsider_sees_their_own_workspace_not_acme(client, cast, trail):
    page = get(signed_in(client, cast.outsider), TRAIL).content.decode()
    assert "192.0.2.66" in page
    assert "203.0.113.7" not in page
    assert "198.51.100.9" not in page


def test_the_trail_is_newest_first(client, cast, trail):
    page = get(signed_in(client, cast.admin), TRAIL).content.decode()
    assert page.index("198.51.100.9") < page.index("203.0.113.7")


def test_event_labels_are_translated(client, cast, trail):
    audit.record("security.audit.tamper_detected", workspace=cast.acme, payload={"seq": 1})
    client = signed_in(client, cast.admin)
    en = get(client, TRAIL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Audit log tampering detected" in en
    ja = get(client, TRAIL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "監査ログの改ざんを検出" in ja


def test_device_names_are_translated(client, cast, trail):
    ja = get(signed_in(client, cast.admin), TRAIL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "iOS 17 (iPhone) の Mobile Safari 17" in ja


def test_the_page_heading_is_japanese_for_japanese_readers(client, cast, trail):
    page = get(signed_in(client, cast.admin), TRAIL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "<h1>監査ログ</h1>" in page
    assert "新しい順" in page


def test_filter_by_event_type(client, cast, trail):
    page = get(signed_in(client, cast.admin), TRAIL, data={"action": SECURITY_EVENT}).content
    assert b"198.51.100.9" in page
    assert b"203.0.113.7" not in page


def test_filter_security_events_only(client, cast, trail):
    page = get(signed_in(client, cast.admin), TRAIL, data={"security": "on"}).content
    assert b"198.51.100.9" in page
    assert b"203.0.113.7" not in page


def test_filter_by_actor(client, cast, trail):
    page = get(signed_in(client, cast.admin), TRAIL, data={"actor": str(cast.viewer.pk)}).content
    assert b"198.51.100.9" in page
    assert b"203.0.113.7" not in page


def test_filter_by_object_id(client, cast, trail):
    data = {"object_id": str(cast.member_membership.pk)}
    page = get(signed_in(client, cast.admin), TRAIL, data=data).content
    assert b"203.0.113.7" in page
    assert b"198.51.100.9" not in page


def test_filter_by_date_range(client, cast, trail):
    today = timezone.localdate()
    client = signed_in(client, cast.admin)
    inside = get(client, TRAIL, data={"date_from": today, "date_to": today}).content
    assert b"203.0.113.7" in inside
    tomorrow = today + datetime.timedelta(days=1)
    after = get(client, TRAIL, data={"date_from": tomorrow}).content
    assert b"203.0.113.7" not in after


def test_a_reversed_date_range_is_a_translated_400(client, cast, trail):
    data = {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    client = signed_in(client, cast.admin)
    response = get(client, TRAIL, data=data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "The end date must not be before the start date." in response.content.decode()
    assert "203.0.113.7" not in response.content.decode()
    ja = get(client, TRAIL, data=data, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "終了日は開始日より前にできません。" in ja


def test_an_actor_from_another_workspace_is_not_a_valid_filter(client, cast, trail):
    data = {"actor": str(cast.outsider.pk)}
    assert get(signed_in(client, cast.admin), TRAIL, data=data).status_code == 400


def test_pages_follow_the_keyset_with_an_older_link(client, cast, trail):
    for n in range(selectors.PAGE_SIZE + 5):
        audit.record(PLAIN_EVENT, workspace=cast.acme, payload={"n": n})
    client = signed_in(client, cast.admin)
    first = get(client, TRAIL)
    next_before = first.context["page"].next_before
    assert next_before is not None
    assert f"before={next_before}" in first.content.decode()
    second = get(client, TRAIL, data={"before": next_before})
    seqs = [entry.event.seq for entry in second.context["page"].entries]
    assert seqs and max(seqs) < next_before
    assert seqs == sorted(seqs, reverse=True)


def test_the_list_costs_a_bounded_number_of_queries(client, cast, django_assert_max_num_queries):
    # Every event by a different person, under a different subject key: the
    # page must still load actors, keys and details in a fixed number of queries.
    client = signed_in(client, cast.admin)
    get(client, TRAIL)  # warm the session and the system key
    people = [factories.make_user(f"person{n}@acme.example", password=None) for n in range(3)]
    for person in people:
        record_from(action=PLAIN_EVENT, workspace=cast.acme, actor=person)
    keyring.reset_cache()
    with CaptureQueriesContext(connection) as small:
        get(client, TRAIL)
    people = [factories.make_user(f"more{n}@acme.example", password=None) for n in range(40)]
    for person in people:
        record_from(action=PLAIN_EVENT, workspace=cast.acme, actor=person)
    keyring.reset_cache()
    with django_assert_max_num_queries(len(small)):
        response = get(client, TRAIL)
    assert len(response.context["page"].entries) >= 43


def test_an_erased_persons_details_show_as_redacted(client, cast, trail):
    keyring.destroy_scope(chain.subject_scope(cast.viewer.pk))
    page = get(signed_in(client, cast.admin), TRAIL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "198.51.100.9" not in page
    assert "Redacted (erased)" in page


def test_event_detail_shows_decrypted_before_and_after_values(client, cast, trail):
    url = reverse("audit:event", args=[trail["role_change"].hash])
    page = get(signed_in(client, cast.admin), url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Old Name" in page
    assert "New Name" in page
    assert trail["role_change"].hash in page
    assert trail["role_change"].prev_hash in page
    assert "203.0.113.7" in page


def test_event_detail_of_an_erased_person_says_so(client, cast, trail):
    keyring.destroy_scope(chain.subject_scope(cast.member.pk))
    url = reverse("audit:event", args=[trail["role_change"].hash])
    page = get(signed_in(client, cast.admin), url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Old Name" not in page
    assert "Redacted (erased)" in page


def test_event_detail_of_a_tampered_detail_says_so(client, cast, trail):
    tamper(
        "UPDATE audit_auditdetail SET ciphertext = %s WHERE event_id = %s",
        ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", trail["role_change"].pk],
    )
    url = reverse("audit:event", args=[trail["role_change"].hash])
    response = get(signed_in(client, cast.admin), url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "failed its integrity check" in response.content.decode()


def test_event_detail_shows_the_covering_checkpoint(client, cast, trail):
    from terabox_crm.audit import checkpoints

    checkpoints.checkpoint_chain(chain_of(cast.acme))
    url = reverse("audit:event", args=[trail["role_change"].hash])
    page = get(signed_in(client, cast.admin), url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Covered by the checkpoint at event 2" in page


def test_another_workspaces_event_is_not_found(client, cast, trail):
    url = reverse("audit:event", args=[trail["foreign"].hash])
    response = get(signed_in(client, cast.admin), url)
    assert response.status_code == 404
    assert "192.0.2.66" not in response.content.decode()


def test_a_system_chain_event_is_not_found(client, cast, trail):
    url = reverse("audit:event", args=[trail["system"].hash])
    assert get(signed_in(client, cast.owner), url).status_code == 404


def test_event_detail_is_refused_to_members(client, cast, trail):
    url = reverse("audit:event", args=[trail["role_change"].hash])
    assert get(signed_in(client, cast.member), url).status_code == 403


def test_the_security_page_lists_only_security_events(client, cast, trail):
    response = get(signed_in(client, cast.admin), SECURITY, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "198.51.100.9" in page
    assert "203.0.113.7" not in page
    assert "<h1>Security events</h1>" in page


def test_the_security_page_offers_only_security_event_types(client, cast, trail):
    response = get(signed_in(client, cast.admin), SECURITY)
    choices = [value for value, _label in response.context["form"].fields["action"].choices]
    assert all(value == "" or value.startswith("security.") for value in choices)


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_the_security_page_is_refused_without_security_view(client, cast, trail, role):
    assert get(signed_in(client, getattr(cast, role)), SECURITY).status_code == 403


def test_device_label_falls_back_for_unknown_agents():
    assert selectors.device_label("") == ""
    assert selectors.device_label("curl/8.0") == "curl 8"


def test_personal_rows_read_every_shape_callers_record():
    assert selectors.personal_rows({"before": "a", "after": "b"}) == [("", "a", "b", None)]
    assert selectors.personal_rows({"email": {"before": "a", "after": "b"}}) == [
        ("email", "a", "b", None)
    ]
    assert selectors.personal_rows({"email": "a"}) == [("email", None, None, "a")]
    assert selectors.personal_rows(None) == []
