"""The list anatomy on the work queues: the task views (mine, overdue,
today, this week, my team's, everyone's), bulk actions on tasks, deals and
tickets, ja and en, and query counts that do not grow with the rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services as task_services
from terabox_crm.activities.models import Task
from terabox_crm.audit.models import AuditEvent
from terabox_crm.core.models import Membership, Team
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.support.models import Ticket
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login

EN = {"secure": True, "HTTP_ACCEPT_LANGUAGE": "en"}
JA = {"secure": True, "HTTP_ACCEPT_LANGUAGE": "ja"}


def _task(cast, title, *, due, assignee, by=None):
    with scope(workspace=cast.acme):
        return task_services.task_create(
            membership=by or cast.owner_membership,
            data=task_services.TaskData(title=title, due_at=due, assignee=assignee),
        )


def _titles(body: str) -> set[str]:
    return set(re.findall(r'href="/tasks/[0-9a-f-]{36}/">([^<]+)</a>', body))


@pytest.fixture
def week(cast):
    """Tasks around now: overdue, later today, this week, next month; mine,
    a teammate's and an outsider-of-my-team's."""
    now = timezone.localtime()
    with scopes_disabled():
        team = Team.objects.create(workspace=cast.acme, name="Sales")
        Membership.objects.filter(user__in=[cast.member, cast.manager], workspace=cast.acme).update(
            team=team
        )
        cast.member_membership.refresh_from_db()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    later_today = min(now + timedelta(minutes=30), midnight + timedelta(hours=23, minutes=59))
    return {
        "overdue": _task(cast, "Overdue call", due=now - timedelta(days=2), assignee=cast.member),
        "today": _task(cast, "Today call", due=later_today, assignee=cast.member),
        "month": _task(cast, "Next month", due=now + timedelta(days=40), assignee=cast.member),
        "team": _task(cast, "Teammate task", due=now + timedelta(days=40), assignee=cast.manager),
        "other": _task(cast, "Admin task", due=now + timedelta(days=40), assignee=cast.admin),
    }


def test_task_views_are_work_queues(client, cast, week):
    login(client, cast.member)
    url = reverse("activities:tasks")
    mine = _titles(client.get(url, **EN).content.decode())
    assert mine == {"Overdue call", "Today call", "Next month"}
    assert _titles(client.get(url + "?due=overdue", **EN).content.decode()) == {"Overdue call"}
    assert "Today call" in _titles(client.get(url + "?due=today", **EN).content.decode())
    assert "Next month" not in _titles(client.get(url + "?due=week", **EN).content.decode())
    team = _titles(client.get(url + "?scope=team", **EN).content.decode())
    assert team == {"Overdue call", "Today call", "Next month", "Teammate task"}
    everyone = _titles(client.get(url + "?scope=all", **EN).content.decode())
    assert {"Teammate task", "Admin task"} <= everyone


@pytest.mark.parametrize(
    ("lang", "tabs"),
    [
        (EN, ["Mine", "Overdue", "Today", "This week", "My team&#x27;s", "Everyone&#x27;s"]),
        (JA, ["自分のタスク", "期限超過", "今日", "今週", "チームのタスク", "全員のタスク"]),
    ],
)
def test_task_views_are_tabs_in_both_languages(client, cast, week, lang, tabs):
    login(client, cast.member)
    body = client.get(reverse("activities:tasks") + "?due=overdue", **lang).content.decode()
    shown = re.findall(r'<li class="list-tab[^"]*">\s*<a href="[^"]*"[^>]*>([^<]+)</a>', body)
    assert shown[: len(tabs)] == tabs
    active = re.search(r'class="list-tab is-active">\s*<a href="\?due=overdue"', body)
    assert active


def test_tasks_sort_by_due_either_way(client, cast, week):
    login(client, cast.member)
    body = client.get(reverse("activities:tasks") + "?sort=-due_at", **EN).content.decode()
    assert body.index("Next month") < body.index("Today call") < body.index("Overdue call")


def test_bulk_complete_and_reassign_tasks(client, cast, week):
    login(client, cast.member)
    ids = [str(week["overdue"].pk), str(week["today"].pk)]
    client.post(reverse("activities:task_bulk"), {"ids": ids, "action": "done"}, **EN)
    with scopes_disabled():
        assert set(Task.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"done"}
        assert AuditEvent.objects.filter(action="activities.task.completed").count() == 2
    response = client.post(
        reverse("activities:task_bulk"),
        {"ids": ids, "action": "assignee", "value_assignee": str(cast.manager.pk)},
        follow=True,
        **JA,
    )
    assert "2件のタスクを変更しました。" in response.content.decode()
    with scopes_disabled():
        assert set(Task.objects.filter(pk__in=ids).values_list("assignee", flat=True)) == {
            cast.manager.pk
        }


def test_a_task_the_member_may_not_change_stops_the_whole_bulk(client, cast, week):
    login(client, cast.member)
    ids = [str(week["overdue"].pk), str(week["other"].pk)]  # the admin's: not the member's
    response = client.post(
        reverse("activities:task_bulk"), {"ids": ids, "action": "delete"}, follow=True, **EN
    )
    body = response.content.decode()
    # Every member reads the admin's task; only its assignee or its owner's
    # team may change it (S6).
    assert "You may not change 1 of the chosen records. Nothing was changed." in body
    with scopes_disabled():
        assert Task.objects.filter(pk__in=ids).count() == 2


def test_the_task_list_query_count_does_not_grow(client, cast, week):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, cast.member)
    url = reverse("activities:tasks") + "?scope=all"
    client.get(url, **EN)
    with CaptureQueriesContext(connection) as small:
        client.get(url, **EN)
    now = timezone.now()
    for i in range(20):
        _task(cast, f"More {i}", due=now + timedelta(days=i), assignee=cast.member)
    with CaptureQueriesContext(connection) as big:
        body = client.get(url, **EN).content.decode()
    assert len(_titles(body)) == 25
    assert len(big) == len(small)


# --- Deals ----------------------------------------------------------------------------------


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


def test_deals_sort_by_amount_with_empty_amounts_last(client, cast, pipeline):
    make_deal(cast.acme, cast.owner, pipeline, name="Small", amount="100")
    make_deal(cast.acme, cast.owner, pipeline, name="None at all")
    make_deal(cast.acme, cast.owner, pipeline, name="Big", amount="9000")
    login(client, cast.owner)
    for sort, order in (
        ("amount", ["Small", "Big", "None at all"]),
        ("-amount", ["Big", "Small", "None at all"]),
    ):
        body = client.get(reverse("deals:list") + f"?sort={sort}", **EN).content.decode()
        places = [body.index(f">{name}</a>") for name in order]
        assert places == sorted(places), sort


def test_deal_bulk_stage_change_and_the_other_pipeline_refusal(client, cast, pipeline):
    other = make_pipeline(cast.acme, cast.owner, name="Renewals")
    a = make_deal(cast.acme, cast.owner, pipeline, name="A")
    b = make_deal(cast.acme, cast.owner, pipeline, name="B")
    c = make_deal(cast.acme, cast.owner, other, name="C")
    won = stage_named(pipeline, "Won")
    login(client, cast.owner)
    body = client.post(
        reverse("deals:bulk"),
        {"ids": [str(a.pk), str(c.pk)], "action": "stage", "value_stage": str(won.pk)},
        follow=True,
        **EN,
    ).content.decode()
    assert "1 of the chosen deals is in another pipeline. Nothing was changed." in body
    with scopes_disabled():
        assert Deal.objects.get(pk=a.pk).stage_id != won.pk
    client.post(
        reverse("deals:bulk"),
        {"ids": [str(a.pk), str(b.pk)], "action": "stage", "value_stage": str(won.pk)},
        **EN,
    )
    with scopes_disabled():
        assert set(Deal.objects.filter(pk__in=[a.pk, b.pk]).values_list("stage", flat=True)) == {
            won.pk
        }
        assert AuditEvent.objects.filter(action="deals.deal.stage_changed").count() == 2


def test_deal_bulk_owner_and_delete(client, cast, pipeline):
    deals = [make_deal(cast.acme, cast.owner, pipeline, name=f"D{i}") for i in range(3)]
    ids = [str(d.pk) for d in deals]
    login(client, cast.owner)
    client.post(
        reverse("deals:bulk"),
        {"ids": ids, "action": "owner", "value_owner": str(cast.member.pk)},
        **EN,
    )
    with scopes_disabled():
        assert set(Deal.objects.values_list("owner", flat=True)) == {cast.member.pk}
    body = client.post(
        reverse("deals:bulk"), {"ids": ids, "action": "delete"}, follow=True, **JA
    ).content.decode()
    assert "3件の商談を削除しました。" in body
    with scopes_disabled():
        assert not Deal.objects.exists()
        assert AuditEvent.objects.filter(action="deals.deal.deleted").count() == 3


# --- Tickets --------------------------------------------------------------------------------


def test_ticket_bulk_assign_and_status(client, cast):
    tickets = [open_ticket(cast.acme, cast.owner, subject=f"T{i}") for i in range(2)]
    ids = [str(t.pk) for t in tickets]
    login(client, cast.owner)
    client.post(
        reverse("support:bulk"),
        {"ids": ids, "action": "assignee", "value_assignee": str(cast.member.pk)},
        **EN,
    )
    body = client.post(
        reverse("support:bulk"),
        {"ids": ids, "action": "status", "value_status": "closed"},
        follow=True,
        **JA,
    ).content.decode()
    assert "2件のチケットを変更しました。" in body
    with scopes_disabled():
        assert set(Ticket.objects.values_list("assignee", "status")) == {(cast.member.pk, "closed")}
        assert AuditEvent.objects.filter(action="support.ticket.status_changed").count() == 2


def test_ticket_list_sorts_by_priority_rank(client, cast):
    open_ticket(cast.acme, cast.owner, subject="Low one", priority="low")
    open_ticket(cast.acme, cast.owner, subject="Urgent one", priority="urgent")
    login(client, cast.owner)
    body = client.get(reverse("support:tickets") + "?sort=priority", **EN).content.decode()
    assert body.index("Urgent one") < body.index("Low one")
    assert "2 records" in body


def test_a_records_see_all_keeps_its_link_through_the_filter_bar(client, cast, week):
    from terabox_crm.contacts.tests.support import make_contact, member_of

    contact = make_contact(member_of(cast.acme, cast.owner), family="Linked")
    with scope(workspace=cast.acme):
        task_services.task_create(
            membership=cast.owner_membership,
            data=task_services.TaskData(
                title="About Linked",
                due_at=timezone.now(),
                assignee=cast.admin,
                links=task_services.Links(contact=contact.pk),
            ),
        )
    login(client, cast.member)
    body = client.get(reverse("activities:tasks") + f"?contact={contact.pk}", **EN)
    body = body.content.decode()
    assert _titles(body) == {"About Linked"}  # every task of the record, not only mine
    assert f'<input type="hidden" name="contact" value="{contact.pk}">' in body
    assert 'id="list-q"' not in body  # titles are encrypted: the task list has no search box


@pytest.mark.parametrize("kind", ["deals", "tickets"])
def test_deal_and_ticket_lists_query_count_does_not_grow(client, cast, kind):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pipeline = make_pipeline(cast.acme, cast.owner)

    def add(i):
        if kind == "deals":
            make_deal(cast.acme, cast.owner, pipeline, name=f"Row {i}", amount="10")
        else:
            open_ticket(cast.acme, cast.owner, subject=f"Row {i}")

    add(0)
    url = reverse("deals:list" if kind == "deals" else "support:tickets")
    login(client, cast.owner)
    client.get(url, **EN)
    with CaptureQueriesContext(connection) as small:
        client.get(url, **EN)
    for i in range(1, 15):
        add(i)
    with CaptureQueriesContext(connection) as big:
        body = client.get(url, **EN).content.decode()
    assert body.count(">Row ") == 15
    assert len(big) == len(small)
