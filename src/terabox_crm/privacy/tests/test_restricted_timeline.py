"""A restricted contact's timeline is read-only too (利用停止, P7): its
activities, tasks, tickets (and their messages) and deals cannot be created,
changed, completed or deleted by anyone but a privacy officer — through the
one policy (``core.records`` locks), so the screens, the API and the services
refuse alike, with the reason in the reader's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services as activity_services
from terabox_crm.activities.models import Activity, Task
from terabox_crm.audit.models import AuditEvent
from terabox_crm.core import policy
from terabox_crm.deals.models import Deal
from terabox_crm.erasure.tests import world
from terabox_crm.privacy.tests.support import member_of, restrict
from terabox_crm.refusals import Refusal
from terabox_crm.support.models import Ticket, TicketMessage
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

REASON = {
    "en": "only a privacy officer can change their record",
    "ja": "個人情報保護責任者だけです",
}


@pytest.fixture
def restricted(cast):
    """A person with a full timeline, restricted; the owner (who made all of
    it and may edit everything) is no privacy officer, the admin is."""
    person = world.make_person(cast)
    restrict(member_of(cast.acme, cast.manager), person.contact)
    return person


def _api(client, method, url, body=None, language="en"):
    return getattr(client, method)(
        url,
        body if body is not None else {},
        content_type="application/json",
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def _refused(response, language):
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert REASON[language] in response.json()["title"]


def _timeline_counts(person):
    with scopes_disabled():
        return (
            Activity.objects.filter(contact_id=person.contact.pk).count(),
            Task.objects.filter(contact_id=person.contact.pk, status=Task.Status.OPEN).count(),
            Ticket.objects.filter(contact_id=person.contact.pk).count(),
            TicketMessage.objects.filter(ticket=person.ticket).count(),
            Deal.objects.get(pk=person.deal.pk).name,
        )


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_api_refuses_every_write_on_the_timeline(client, cast, restricted, language):
    person = restricted
    before = _timeline_counts(person)
    denials = AuditEvent.objects.filter(action="security.permission.denied").count()
    login(client, cast.owner)
    contact = str(person.contact.pk)
    now = timezone.now().isoformat()
    attempts = [
        ("post", "/api/v1/activities/", {"kind": "note", "occurred_at": now, "subject": "x", "contact": contact}),
        ("delete", f"/api/v1/activities/{person.activities[0].pk}/", None),
        ("post", "/api/v1/tasks/", {"title": "x", "due_at": now, "contact": contact}),
        ("post", f"/api/v1/tasks/{person.task.pk}/complete/", None),
        ("post", "/api/v1/tickets/", {"subject": "x", "contact": contact}),
        ("post", f"/api/v1/tickets/{person.ticket.pk}/reply/", {"body": "x"}),
        ("patch", f"/api/v1/tickets/{person.ticket.pk}/", {"status": "solved"}),
        ("patch", f"/api/v1/deals/{person.deal.pk}/", {"name": "Renamed"}),
        ("delete", f"/api/v1/deals/{person.deal.pk}/", None),
    ]  # fmt: skip
    for method, url, body in attempts:
        _refused(_api(client, method, url, body, language), language)
    assert _timeline_counts(person) == before
    after = AuditEvent.objects.filter(action="security.permission.denied").count()
    assert after - denials == len(attempts)


def test_a_privacy_officer_may_still_act(client, cast, restricted):
    person = restricted
    login(client, cast.admin)  # the privacy officer
    contact = str(person.contact.pk)
    now = timezone.now().isoformat()
    made = _api(
        client,
        "post",
        "/api/v1/activities/",
        {"kind": "note", "occurred_at": now, "subject": "Legal hold note", "contact": contact},
    )
    assert made.status_code == 201, made.content
    assert _api(client, "post", f"/api/v1/tasks/{person.task.pk}/complete/").status_code == 200
    replied = _api(client, "post", f"/api/v1/tickets/{person.ticket.pk}/reply/", {"body": "ok"})
    assert replied.status_code in (200, 201), replied.content
    renamed = _api(client, "patch", f"/api/v1/deals/{person.deal.pk}/", {"name": "Renamed"})
    assert renamed.status_code == 200, renamed.content
    gone = _api(client, "delete", f"/api/v1/activities/{person.activities[0].pk}/")
    assert gone.status_code == 204


def test_an_unrestricted_timeline_is_unaffected(client, cast):
    person = world.make_person(cast)
    login(client, cast.owner)
    gone = _api(client, "delete", f"/api/v1/activities/{person.activities[0].pk}/")
    assert gone.status_code == 204
    done = _api(client, "post", f"/api/v1/tasks/{person.task.pk}/complete/")
    assert done.status_code == 200


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_screens_refuse_with_the_reason(client, cast, restricted, language):
    person = restricted
    before = _timeline_counts(person)
    login(client, cast.owner)
    page = client.get(
        reverse("contacts:detail", args=[person.contact.pk]),
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    ).content.decode()
    assert reverse("activities:activity_delete", args=[person.activities[0].pk]) not in page
    deleted = client.post(
        reverse("activities:activity_delete", args=[person.activities[0].pk]),
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert deleted.status_code == 403
    assert REASON[language] in deleted.content.decode()
    done = client.post(
        reverse("activities:task_done", args=[person.task.pk]),
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert done.status_code == 403
    assert REASON[language] in done.content.decode()
    logged = client.post(
        reverse("activities:activity_create"),
        {
            "kind": "note",
            "occurred_at": timezone.now().strftime("%Y-%m-%dT%H:%M"),
            "subject": "x",
            "contact": str(person.contact.pk),
        },
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert logged.status_code == 400
    assert REASON[language] in logged.content.decode()
    assert _timeline_counts(person) == before


def test_the_services_and_the_policy_agree(cast, restricted):
    person = restricted
    owner, officer = member_of(cast.acme, cast.owner), member_of(cast.acme, cast.admin)
    with scope(workspace=cast.acme):
        for record, action in (
            (person.activities[0], "activities.change"),
            (person.task, "activities.change"),
            (person.ticket, "tickets.change"),
            (person.deal, "deals.change"),
            (person.deal, "deals.delete"),
        ):
            record = type(record).objects.get(pk=record.pk)
            assert not policy.can(owner, action, record), action
            assert policy.can(officer, action, record), action
            assert policy.can(owner, action.split(".")[0] + ".view", record)
        with pytest.raises(Refusal) as refused:
            activity_services.task_create(
                membership=owner,
                data=activity_services.TaskData(
                    title="x",
                    due_at=timezone.now() + timedelta(days=1),
                    assignee=cast.owner,
                    links=activity_services.Links(contact=person.contact),
                ),
            )
        assert refused.value.code == "restricted"
        assert refused.value.status == 403


@pytest.fixture
def deal_timeline(cast):
    """A person whose deal carries an activity and a task that name only the
    deal, not the person; then the person is restricted."""
    person = world.make_person(cast)
    owner = member_of(cast.acme, cast.owner)
    with scope(workspace=cast.acme):
        on_deal = activity_services.Links(deal=Deal.objects.get(pk=person.deal.pk))
        activity = activity_services.activity_log(
            membership=owner,
            data=activity_services.ActivityData(
                kind="note", occurred_at=timezone.now(), subject="on the deal", links=on_deal
            ),
        )
        task = activity_services.task_create(
            membership=owner,
            data=activity_services.TaskData(
                title="follow the deal",
                due_at=timezone.now() + timedelta(days=1),
                assignee=cast.owner,
                links=on_deal,
            ),
        )
    assert activity.contact_id is None and task.contact_id is None
    restrict(member_of(cast.acme, cast.manager), person.contact)
    return activity, task


def test_a_record_on_a_restricted_persons_deal_is_read_only_too(cast, deal_timeline):
    owner, officer = member_of(cast.acme, cast.owner), member_of(cast.acme, cast.admin)
    with scope(workspace=cast.acme):
        for record in deal_timeline:
            record = type(record).objects.get(pk=record.pk)
            assert not policy.can(owner, "activities.change", record)
            assert policy.can(officer, "activities.change", record)
            assert policy.can(owner, "activities.view", record)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_api_refuses_a_change_to_a_record_on_the_deal(client, cast, deal_timeline, language):
    activity, task = deal_timeline
    login(client, cast.owner)
    _refused(_api(client, "delete", f"/api/v1/activities/{activity.pk}/", None, language), language)
    _refused(_api(client, "post", f"/api/v1/tasks/{task.pk}/complete/", None, language), language)
    with scopes_disabled():
        assert Activity.objects.filter(pk=activity.pk).exists()
        assert Task.objects.get(pk=task.pk).status == Task.Status.OPEN


def test_the_deal_lock_is_preloaded_for_a_list_in_a_fixed_number_of_queries(
    cast, deal_timeline, django_assert_max_num_queries
):
    from terabox_crm.core import records

    activity, task = deal_timeline
    owner = member_of(cast.acme, cast.owner)
    with scope(workspace=cast.acme):
        rows = [Activity.objects.get(pk=activity.pk), Task.objects.get(pk=task.pk)]
        with django_assert_max_num_queries(3):
            records.preload_locks(owner, rows)
        with django_assert_max_num_queries(0):
            assert all(records.lock_reason(owner, row) for row in rows)
