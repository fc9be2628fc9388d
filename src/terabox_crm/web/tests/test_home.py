"""The home page: my tasks, the pipeline, my tickets and recent contacts,
each only for what the member may view and only records it may read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from terabox_crm.activities import services as activity_services
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.core.roles import Role
from terabox_crm.core.selectors import membership_in
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login
from terabox_crm.web.tests.html import parse

pytestmark = pytest.mark.django_db


def _task(cast, title: str, due_in: timedelta, *, workspace=None, actor=None, assignee=None):
    workspace = workspace or cast.acme
    actor = actor or cast.member
    with scope(workspace=workspace):
        return activity_services.task_create(
            membership=membership_in(workspace, actor),
            data=activity_services.TaskData(
                title=title, due_at=timezone.now() + due_in, assignee=assignee or actor
            ),
        )


def _home(client, user, language="en") -> str:
    login(client, user)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def _section(content: str, heading_id: str):
    for section in parse(content).find_all("section"):
        if section.attrs.get("aria-labelledby") == heading_id:
            return section
    return None


def _fill(cast, count: int, *, start: int = 0) -> None:
    pipeline = make_pipeline(cast.acme, cast.owner) if start == 0 else None
    with scope(workspace=cast.acme):
        from terabox_crm.deals.models import Pipeline

        pipeline = pipeline or Pipeline.objects.first()
    for index in range(start, start + count):
        _task(cast, f"Task {index}", timedelta(hours=index + 1))
        _task(cast, f"Late {index}", -timedelta(hours=index + 1))
        make_deal(cast.acme, cast.member, pipeline, name=f"Deal {index}", amount="10")
        open_ticket(cast.acme, cast.member, subject=f"Ticket {index}", assignee=cast.member)
        make_contact(cast.member_membership, family=f"Person{index}", given="A")


# --- Tasks ------------------------------------------------------------------------------


def test_my_tasks_overdue_and_coming_up_with_a_done_action(client, cast):
    late = _task(cast, "Call back 山田様", -timedelta(hours=3))
    soon = _task(cast, "Send the quote", timedelta(days=2))
    _task(cast, "Far away", timedelta(days=30))
    _task(cast, "Someone else's", timedelta(hours=2), actor=cast.manager)
    with scope(workspace=cast.acme):
        done = _task(cast, "Already done", timedelta(hours=1))
        activity_services.task_set_done(membership=cast.member_membership, task=done, done=True)
    content = _home(client, cast.member)
    tasks = _section(content, "home-tasks")
    text = tasks.text()
    assert "Overdue" in text and "Today and the next 7 days" in text
    assert text.index("Call back 山田様") < text.index("Send the quote")
    assert "Far away" not in text and "Someone else" not in text and "Already done" not in text
    links = {a.attrs["href"] for a in tasks.find_all("a")}
    assert reverse("activities:task", args=[late.pk]) in links
    forms = [f.attrs["action"] for f in tasks.find_all("form")]
    assert forms == [
        reverse("activities:task_done", args=[late.pk]),
        reverse("activities:task_done", args=[soon.pk]),
    ]


def test_the_done_button_completes_the_task_in_place(client, cast):
    task = _task(cast, "Send the quote", timedelta(hours=2))
    login(client, cast.member)
    response = client.post(
        reverse("activities:task_done", args=[task.pk]), {"done": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'id="task-{task.pk}"' in response.content.decode()
    assert "Send the quote" not in _section(_home(client, cast.member), "home-tasks").text()


def test_viewers_see_their_tasks_without_a_done_button(client, cast):
    _task(cast, "Read the report", timedelta(hours=2), actor=cast.manager, assignee=cast.viewer)
    tasks = _section(_home(client, cast.viewer), "home-tasks")
    assert "Read the report" in tasks.text()
    assert tasks.find_all("form") == []


# --- Pipeline ----------------------------------------------------------------------------


def test_pipeline_summary_counts_and_totals_of_open_stages(client, cast):
    pipeline = make_pipeline(cast.acme, cast.owner)
    make_deal(cast.acme, cast.member, pipeline, amount="1200000", stage="Lead")
    make_deal(cast.acme, cast.member, pipeline, amount="300000", stage="Lead")
    make_deal(cast.acme, cast.member, pipeline, amount="50", currency="USD", stage="Proposal")
    make_deal(cast.acme, cast.member, pipeline, amount="999", stage="Won")
    section = _section(_home(client, cast.member), "home-pipeline")
    rows = {
        tr.find_all("th")[0].text().strip(): [td.text().strip() for td in tr.find_all("td")]
        for tr in section.find_all("tbody")[0].find_all("tr")
    }
    assert rows["Lead"] == ["2", "1,500,000 JPY"]
    assert rows["Proposal"] == ["1", "50 USD"]
    assert rows["Qualified"] == ["0", "—"]
    assert "Won" not in rows
    assert reverse("deals:board_pipeline", args=[pipeline.pk]) in {
        a.attrs["href"] for a in section.find_all("a")
    }


def test_pipeline_counts_follow_team_visibility(client, cast):
    cast.acme.record_visibility = "team"
    cast.acme.save(update_fields=["record_visibility"])
    pipeline = make_pipeline(cast.acme, cast.owner)
    make_deal(cast.acme, cast.member, pipeline, amount="10")
    make_deal(cast.acme, cast.owner, pipeline, amount="20")
    make_deal(cast.acme, cast.owner, pipeline, amount="40")
    member = _section(_home(client, cast.member), "home-pipeline").text()
    assert "10 JPY" in member and "70 JPY" not in member
    client.logout()
    assert "70 JPY" in _section(_home(client, cast.admin), "home-pipeline").text()


# --- Tickets -----------------------------------------------------------------------------


def test_my_open_tickets_with_their_sla_badge(client, cast):
    open_ticket(cast.acme, cast.member, subject="Cannot sign in", assignee=cast.member)
    open_ticket(cast.acme, cast.member, subject="Not mine", assignee=cast.manager)
    open_ticket(cast.acme, cast.member, subject="Nobody's")
    section = _section(_home(client, cast.member), "home-tickets")
    text = section.text()
    assert "Cannot sign in" in text and "Not mine" not in text and "Nobody" not in text
    assert "On track" in text
    assert any("badge" in span.classes for span in section.find_all("span"))


def test_at_most_eight_tickets(client, cast):
    for index in range(10):
        open_ticket(cast.acme, cast.member, subject=f"Ticket {index}", assignee=cast.member)
    section = _section(_home(client, cast.member), "home-tickets")
    assert len(section.find_all("li")) == 8


# --- Contacts ----------------------------------------------------------------------------


def test_recently_updated_contacts_link_to_them(client, cast):
    contacts = [make_contact(cast.member_membership, family=f"Person{i}") for i in range(10)]
    section = _section(_home(client, cast.member, "ja"), "home-contacts")
    links = [a.attrs["href"] for a in section.find_all("a") if "/contacts/" in a.attrs["href"]]
    shown = [c for c in reversed(contacts)][:8]
    assert links[:8] == [reverse("contacts:detail", args=[c.pk]) for c in shown]
    assert "Person9 花子" in section.text()


def test_contacts_follow_team_visibility(client, cast):
    cast.acme.record_visibility = "team"
    cast.acme.save(update_fields=["record_visibility"])
    make_contact(cast.member_membership, family="Mine")
    make_contact(member_of(cast.acme, cast.owner), family="Owners")
    text = _section(_home(client, cast.member), "home-contacts").text()
    assert "Mine" in text and "Owners" not in text


# --- Roles, workspaces, empty states, languages ------------------------------------------


def test_another_workspace_never_shows(client, cast):
    pipeline = make_pipeline(cast.globex, cast.outsider)
    make_deal(cast.globex, cast.outsider, pipeline, name="Globex deal", amount="777")
    _task(cast, "Globex task", timedelta(hours=1), workspace=cast.globex, actor=cast.outsider)
    open_ticket(cast.globex, cast.outsider, subject="Globex ticket", assignee=cast.outsider)
    make_contact(cast.outsider_membership, family="Globexson")
    content = _home(client, cast.owner)
    for secret in ("Globex task", "777", "Globex ticket", "Globexson", "New business"):
        assert secret not in content
    # The outsider sees their own workspace's records.
    client.logout()
    theirs = _home(client, cast.outsider)
    for own in ("Globex task", "777 JPY", "Globex ticket", "Globexson"):
        assert own in theirs


def test_empty_states(client, cast):
    content = _home(client, cast.member)
    assert "No tasks overdue or due in the next 7 days." in content
    assert "No pipeline yet." in content
    assert "No open tickets are assigned to you." in content
    assert "No contacts yet." in content
    assert "Contacts, deals and support tickets will appear" not in content


def test_empty_states_in_japanese(client, cast):
    content = _home(client, cast.member, "ja")
    assert "マイタスク" in content or "自分のタスク" in content
    for english in ("No tasks overdue", "No pipeline yet", "No contacts yet", "My tickets"):
        assert english not in content


def test_japanese_home_with_content(client, cast):
    _task(cast, "見積書を送る", -timedelta(hours=1))
    make_pipeline(cast.acme, cast.owner)
    content = _home(client, cast.member, "ja")
    assert "見積書を送る" in content
    assert "期限超過" in content
    assert "ボードを開く" in content


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MANAGER, Role.MEMBER, Role.VIEWER])
def test_every_role_sees_the_crm_blocks_it_may_view(client, cast, role):
    content = _home(client, getattr(cast, role))
    for block in ("home-tasks", "home-pipeline", "home-tickets", "home-contacts"):
        assert _section(content, block) is not None
    new_contact = reverse("contacts:create")
    contacts = _section(content, "home-contacts")
    links = {a.attrs["href"] for a in contacts.find_all("a")}
    assert (new_contact in links) is (role != Role.VIEWER)


def test_blocks_of_features_the_member_may_not_view_are_hidden(client, cast, monkeypatch):
    from terabox_crm.core import policy

    allowed = policy.can
    hidden = {"deals.view", "tickets.view"}
    monkeypatch.setattr(
        policy, "can", lambda m, action, obj=None: action not in hidden and allowed(m, action, obj)
    )
    content = _home(client, cast.member)
    assert _section(content, "home-pipeline") is None
    assert _section(content, "home-tickets") is None
    assert _section(content, "home-tasks") is not None


def test_account_links_by_role(client, cast):
    admin = _home(client, cast.admin)
    account = next(n for n in parse(admin).find_all("nav") if n.attrs.get("aria-labelledby"))
    links = {a.attrs["href"] for a in account.find_all("a")}
    assert {reverse("accounts:security"), reverse("core:members"), reverse("audit:trail")} <= links
    client.logout()
    member = _home(client, cast.member)
    account = next(n for n in parse(member).find_all("nav") if n.attrs.get("aria-labelledby"))
    assert reverse("audit:trail") not in {a.attrs["href"] for a in account.find_all("a")}


def test_two_factor_notice_only_when_it_is_off(client, cast):
    from terabox_crm.accounts.models import TOTPDevice

    notice = _home(client, cast.member)
    assert "home-notice" in notice
    assert "Set up two-factor authentication" in notice
    TOTPDevice.objects.create(user=cast.member, secret="00" * 20, confirmed=True)
    content = _home(client, cast.member)
    assert "home-notice" not in content
    assert "Two-factor authentication is on" in content


def test_query_count_does_not_grow_with_the_records(client, cast, django_assert_max_num_queries):
    _fill(cast, 2)
    login(client, cast.member)
    client.get("/")  # warm caches shared by every page (sessions, keys)
    with django_assert_max_num_queries(60) as few:
        client.get("/")
    baseline = len(few.captured_queries)
    _fill(cast, 12, start=2)
    with django_assert_max_num_queries(baseline):
        response = client.get("/")
    text = response.content.decode()
    assert "Ticket 13" in text or "Ticket 0" in text
    assert "Person13" in text
