"""A task's own page (SPEC §2, S6): viewed, edited, completed and deleted
(behind a confirmation page) by its assignee or whoever may edit it; the
task form links a contact, company or deal of the workspace only — never
another workspace's — and finds them by name; each change is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services
from terabox_crm.activities.models import Task
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.testing.auth import login


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def task(cast):
    with scope(workspace=cast.acme):
        return services.task_create(
            membership=cast.member_membership,
            data=services.TaskData(
                title="見積書を送る",
                notes="山田様へ",
                due_at=timezone.now() + timedelta(days=1),
                assignee=cast.member,
            ),
        )


def _actions(cast, task) -> list[str]:
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(chain=str(cast.acme.pk), object_id=str(task.pk))
            .order_by("seq")
            .values_list("action", flat=True)
        )


def _form(cast, **extra) -> dict:
    return {
        "title": "見積書を再送する",
        "due_at": _local(timezone.now() + timedelta(days=2)),
        "remind_at": "",
        "assignee": cast.member_membership.pk,
        "notes": "",
        **extra,
    }


def test_the_task_page_shows_it_with_its_actions(client, cast, task):
    login(client, cast.member)
    page = client.get(reverse("activities:task", args=[task.pk])).content.decode()
    assert "見積書を送る" in page and "山田様へ" in page
    assert reverse("activities:task_edit", args=[task.pk]) in page
    assert reverse("activities:task_delete", args=[task.pk]) in page
    assert reverse("activities:task_done", args=[task.pk]) in page


def test_a_task_is_completed_and_reopened_from_its_page(client, cast, task):
    login(client, cast.member)
    url = reverse("activities:task", args=[task.pk])
    done = client.post(reverse("activities:task_done", args=[task.pk]), {"done": "1", "next": url})
    assert done.status_code == 302 and done["Location"] == url
    with scope(workspace=cast.acme):
        assert Task.objects.get(pk=task.pk).status == "done"
    client.post(reverse("activities:task_done", args=[task.pk]), {"done": "0", "next": url})
    with scope(workspace=cast.acme):
        assert Task.objects.get(pk=task.pk).status == "open"
    assert _actions(cast, task)[-2:] == [
        "activities.task.completed",
        "activities.task.reopened",
    ]


def test_a_task_is_edited_and_the_change_audited_by_field_name(client, cast, task):
    login(client, cast.member)
    url = reverse("activities:task_edit", args=[task.pk])
    assert "見積書を送る" in client.get(url).content.decode()
    response = client.post(url, _form(cast))
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        saved = Task.objects.get(pk=task.pk)
    assert saved.title == "見積書を再送する" and saved.notes == ""
    with scopes_disabled():
        event = AuditEvent.objects.filter(action="activities.task.updated").get()
    assert set(event.payload["fields"]) == {"title", "notes", "due_at"}
    assert "見積書" not in str(event.payload)


def test_a_bad_edit_changes_nothing(client, cast, task):
    login(client, cast.member)
    late = _local(timezone.now() + timedelta(days=5))
    response = client.post(
        reverse("activities:task_edit", args=[task.pk]), _form(cast, remind_at=late)
    )
    assert response.status_code == 400
    with translation.override("ja"):
        assert _("The reminder must come before the due time.") in response.content.decode()
    with scope(workspace=cast.acme):
        assert Task.objects.get(pk=task.pk).title == "見積書を送る"


def test_a_task_is_deleted_only_through_its_confirmation_page(client, cast, task):
    login(client, cast.member)
    url = reverse("activities:task_delete", args=[task.pk])
    page = client.get(url).content.decode()
    assert "見積書を送る" in page and 'method="post"' in page
    with scope(workspace=cast.acme):
        assert Task.objects.filter(pk=task.pk).exists()
    assert client.post(url).status_code == 302
    with scope(workspace=cast.acme):
        assert not Task.objects.filter(pk=task.pk).exists()
    assert _actions(cast, task)[-1] == "activities.task.deleted"


def test_a_viewer_sees_the_task_but_cannot_edit_or_delete_it(client, cast, task):
    login(client, cast.viewer)
    page = client.get(reverse("activities:task", args=[task.pk])).content.decode()
    assert reverse("activities:task_edit", args=[task.pk]) not in page
    assert client.get(reverse("activities:task_edit", args=[task.pk])).status_code == 403
    assert client.post(reverse("activities:task_delete", args=[task.pk])).status_code == 403
    with scope(workspace=cast.acme):
        assert Task.objects.filter(pk=task.pk).exists()


def test_another_workspace_cannot_reach_the_task_page_edit_or_delete(client, cast, task):
    login(client, cast.outsider)
    for name in ("activities:task", "activities:task_edit", "activities:task_delete"):
        assert client.get(reverse(name, args=[task.pk])).status_code == 404
    assert client.post(reverse("activities:task_delete", args=[task.pk])).status_code == 404


def test_new_task_from_a_record_arrives_linked_and_returns_there(client, cast):
    member = member_of(cast.acme, cast.member)
    company = make_company(member)
    contact = make_contact(member, company_id=company.pk)
    login(client, cast.member)
    page_url = reverse("contacts:detail", args=[contact.pk])
    url = f"{reverse('activities:task_create')}?contact={contact.pk}&company={company.pk}&next={page_url}"
    form = client.get(url).content.decode()
    assert contact.display_name in form and company.name in form
    response = client.post(
        url,
        _form(cast, contact=str(contact.pk), company=str(company.pk), next=page_url),
    )
    assert response.status_code == 302 and response["Location"] == page_url
    with scope(workspace=cast.acme):
        saved = Task.objects.get(contact=contact)
    assert saved.title == "見積書を再送する"
    assert (saved.contact_id, saved.company_id) == (contact.pk, company.pk)


@pytest.mark.parametrize("field", ["contact", "company", "deal"])
def test_the_task_form_never_links_another_workspaces_record(client, team_world, field):
    cast = team_world.cast
    foreign = team_world.foreign[field]
    login(client, cast.member)
    # Named in the address: the page is a 404, as for a record that does not exist.
    get = client.get(f"{reverse('activities:task_create')}?{field}={foreign.pk}")
    assert get.status_code == 404
    # Posted: refused, nothing written, whether made or edited.
    response = client.post(
        reverse("activities:task_create"), _form(cast, **{field: str(foreign.pk)})
    )
    assert response.status_code == 400
    with translation.override("ja"):
        refused = str(type(foreign).link_refused_message)
    assert refused in response.content.decode()
    with scopes_disabled():
        assert not Task.objects.filter(workspace=cast.acme).exists()


@pytest.mark.parametrize("field", ["contact", "company", "deal"])
def test_editing_a_task_never_links_another_workspaces_record(client, team_world, field):
    cast = team_world.cast
    with scope(workspace=cast.acme):
        task = services.task_create(
            membership=cast.member_membership,
            data=services.TaskData(title="元の題", due_at=timezone.now(), assignee=cast.member),
        )
    login(client, cast.member)
    url = reverse("activities:task_edit", args=[task.pk])
    response = client.post(url, _form(cast, **{field: str(team_world.foreign[field].pk)}))
    assert response.status_code == 400
    with scope(workspace=cast.acme):
        kept = Task.objects.get(pk=task.pk)
    assert kept.title == "元の題" and getattr(kept, f"{field}_id") is None


def test_the_finder_offers_only_this_workspaces_records_the_member_may_read(client, team_world):
    cast = team_world.cast
    login(client, cast.member)
    mine, foreign = team_world.mine["company"], team_world.foreign["company"]
    page = client.get(f"{reverse('activities:task_create')}?find={mine.name}").content.decode()
    assert f"company={mine.pk}" in page
    assert str(foreign.pk) not in page


def test_the_record_task_list_shows_every_task_of_a_deal(client, cast):
    deal = make_deal(cast.acme, cast.member, make_pipeline(cast.acme, cast.owner))
    with scope(workspace=cast.acme):
        for number in range(12):
            services.task_create(
                membership=cast.member_membership,
                data=services.TaskData(
                    title=f"作業{number:02d}",
                    due_at=timezone.now() + timedelta(hours=number),
                    assignee=cast.member,
                    links=services.Links(deal=deal),
                ),
            )
    login(client, cast.member)
    page = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert "作業00" in page and "作業09" in page and "作業11" not in page
    all_url = f"{reverse('activities:tasks')}?deal={deal.pk}"
    assert all_url in page
    every = client.get(all_url).content.decode()
    assert "作業11" in every and deal.name in every
