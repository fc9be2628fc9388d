"""What a contact's and a company's page show they are connected to (SPEC §2,
S6, P7): deals, tickets and tasks (each with its own "New …" that arrives
with the record linked), a company's contacts as a table, its contacts'
activities rolled up; only what the viewer may read and never another
workspace's rows; the restriction mark on restricted contacts; a number of
queries that does not grow with the number of related records."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services as activity_services
from terabox_crm.activities.models import Activity, Task
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.privacy.tests.support import privacy_officer, restrict
from terabox_crm.support.models import Ticket
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login


@pytest.fixture
def world(cast):
    member = member_of(cast.acme, cast.member)
    company = make_company(member, name="さくら物流株式会社")
    contact = make_contact(member, company_id=company.pk, emails=["hanako@sakura.example"])
    return {
        "member": member,
        "company": company,
        "contact": contact,
        "pipeline": make_pipeline(cast.acme, cast.owner),
    }


def _task(cast, title, **links):
    with scope(workspace=cast.acme):
        return activity_services.task_create(
            membership=cast.member_membership,
            data=activity_services.TaskData(
                title=title,
                due_at=timezone.now(),
                assignee=cast.member,
                links=activity_services.Links(**links),
            ),
        )


def _page(client, cast, name, record):
    login(client, cast.member)
    response = client.get(reverse(name, args=[record.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_deal_created_from_a_contact_page_is_listed_there(client, cast, world):
    contact = world["contact"]
    login(client, cast.member)
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    new_deal = f"{reverse('deals:create')}?contact={contact.pk}&amp;company={world['company'].pk}"
    assert f'href="{new_deal}"' in page
    form = client.get(f"{reverse('deals:create')}?contact={contact.pk}").content.decode()
    assert contact.display_name in form
    with scope(workspace=cast.acme):
        stage = world["pipeline"].stages.first()
    response = client.post(
        reverse("deals:create"),
        {
            "name": "倉庫管理システム導入",
            "stage": stage.pk,
            "currency": "JPY",
            "owner": cast.member_membership.pk,
            "contact": str(contact.pk),
            "company": str(world["company"].pk),
        },
    )
    assert response.status_code == 302, response.content.decode()
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "倉庫管理システム導入" in page
    company_page = client.get(reverse("companies:detail", args=[world["company"].pk]))
    assert "倉庫管理システム導入" in company_page.content.decode()


def test_a_task_linked_through_the_api_is_listed_on_the_contact_page(client, cast, world):
    contact = world["contact"]
    login(client, cast.member)
    response = client.post(
        "/api/v1/tasks/",
        {
            "title": "折り返し電話",
            "due_at": timezone.now().isoformat(),
            "contact": str(contact.pk),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "折り返し電話" in page
    new_task = f"{reverse('activities:task_create')}?contact={contact.pk}"
    assert new_task in page


def test_the_contact_page_lists_its_tickets_with_a_prefilled_new_ticket(client, cast, world):
    contact = world["contact"]
    open_ticket(cast.acme, cast.member, subject="配送が遅れている", contact=contact)
    page = _page(client, cast, "contacts:detail", contact)
    assert "配送が遅れている" in page
    new_ticket = (
        f"{reverse('support:create')}?contact={contact.pk}&amp;company={world['company'].pk}"
    )
    assert f'href="{new_ticket}"' in page
    form = client.get(f"{reverse('support:create')}?contact={contact.pk}").content.decode()
    assert contact.display_name in form
    assert f'name="contact" value="{contact.pk}"' in form


def test_the_company_page_shows_contacts_as_a_table_deals_tickets_and_rolled_up_activity(
    client, cast, world
):
    company, contact = world["company"], world["contact"]
    make_deal(cast.acme, cast.member, world["pipeline"], name="年間保守契約", company=company)
    open_ticket(cast.acme, cast.member, subject="請求書の再発行", company=company)
    _task(cast, "訪問の準備", company=company)
    with scope(workspace=cast.acme):
        activity_services.activity_log(
            membership=cast.member_membership,
            data=activity_services.ActivityData(
                kind="call",
                occurred_at=timezone.now(),
                subject="山田様と電話",
                links=activity_services.Links(contact=contact),
            ),
        )
    page = _page(client, cast, "companies:detail", company)
    for text in ("年間保守契約", "請求書の再発行", "訪問の準備", "山田様と電話"):
        assert text in page
    assert "hanako@sakura.example" in page  # the contacts table's email column
    assert f'href="{reverse("contacts:detail", args=[contact.pk])}"' in page
    assert f"{reverse('contacts:create')}?company={company.pk}" in page


def test_a_restricted_contact_is_marked_in_the_company_lists(client, cast, world):
    company, contact = world["company"], world["contact"]
    make_deal(cast.acme, cast.member, world["pipeline"], company=company, contact=contact)
    open_ticket(cast.acme, cast.member, company=company, contact=contact)
    restrict(privacy_officer(cast.acme), contact)
    page = _page(client, cast, "companies:detail", company)
    # The contacts table, the deals and the tickets each name the contact.
    assert page.count("badge badge-danger") >= 3


def test_a_company_with_many_contacts_shows_a_page_of_them_and_a_link_to_all(client, cast, world):
    for number in range(21):
        make_contact(world["member"], family=f"社員{number}", company_id=world["company"].pk)
    page = _page(client, cast, "companies:detail", world["company"])
    assert f"{reverse('contacts:list')}?company={world['company'].pk}" in page
    assert page.count('<tr><th scope="row"><a href="/contacts/') == 20


def test_the_rolled_up_activity_pages_by_keyset(client, cast, world):
    contact = world["contact"]
    with scope(workspace=cast.acme):
        for number in range(23):
            activity_services.activity_log(
                membership=cast.member_membership,
                data=activity_services.ActivityData(
                    kind="note",
                    occurred_at=timezone.now() - timezone.timedelta(minutes=number),
                    subject=f"メモ{number:02d}",
                    links=activity_services.Links(contact=contact),
                ),
            )
    page = _page(client, cast, "companies:detail", world["company"])
    assert "メモ00" in page and "メモ19" in page and "メモ20" not in page
    older = page.split('href="?activities_before=')[1].split('"')[0].replace("&amp;", "&")
    older_page = client.get(
        reverse("companies:detail", args=[world["company"].pk]) + "?activities_before=" + older
    ).content.decode()
    assert "メモ20" in older_page and "メモ22" in older_page and "メモ19" not in older_page
    nonsense = client.get(
        reverse("companies:detail", args=[world["company"].pk]) + "?activities_before=x|y"
    )
    assert nonsense.status_code == 200


def test_another_workspaces_rows_pointing_at_a_record_never_show(client, cast, world):
    """Rows written straight into another workspace that name this contact
    and company (no service would make them) stay out of every panel."""
    contact, company = world["contact"], world["company"]
    outsider = cast.outsider
    with scopes_disabled():
        pipeline = make_pipeline(cast.globex, outsider)
        stage = pipeline.stages.first()
        Deal.objects.create(
            workspace=cast.globex,
            pipeline=pipeline,
            stage=stage,
            name="他社の商談",
            owner=outsider,
            contact=contact,
            company=company,
        )
        Ticket.objects.create(
            workspace=cast.globex,
            number=1,
            subject="他社のチケット",
            owner=outsider,
            contact=contact,
            company=company,
            first_response_due_at=timezone.now(),
            resolution_due_at=timezone.now(),
        )
        Task.objects.create(
            workspace=cast.globex,
            title="他社のタスク",
            due_at=timezone.now(),
            assignee=outsider,
            owner=outsider,
            contact=contact,
            company=company,
        )
        Activity.objects.create(
            workspace=cast.globex,
            subject="他社の活動",
            occurred_at=timezone.now(),
            owner=outsider,
            contact=contact,
        )
    for name, record in (("contacts:detail", contact), ("companies:detail", company)):
        page = _page(client, cast, name, record)
        for text in ("他社の商談", "他社のチケット", "他社のタスク", "他社の活動"):
            assert text not in page, (name, text)


def test_records_the_member_may_not_read_stay_out_of_the_panels(client, team_world):
    """Team visibility (S6): the admin's deal on the member's contact is not listed."""
    cast = team_world.cast
    contact = team_world.mine["contact"]
    make_deal(cast.acme, cast.admin, team_world.pipeline, name="管理者だけの商談", contact=contact)
    page = _page(client, cast, "contacts:detail", contact)
    assert "管理者だけの商談" not in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _grow(cast, world, count):
    company, contact = world["company"], world["contact"]
    for number in range(count):
        other = make_contact(
            world["member"], family=f"追加{uuid.uuid4().hex[:6]}", company_id=company.pk
        )
        make_deal(
            cast.acme,
            cast.member,
            world["pipeline"],
            name=f"商談{number}",
            company=company,
            contact=other,
        )
        open_ticket(cast.acme, cast.member, subject=f"件名{number}", company=company, contact=other)
        _task(cast, f"タスク{number}", company=company, contact=contact)
        with scope(workspace=cast.acme):
            activity_services.activity_log(
                membership=cast.member_membership,
                data=activity_services.ActivityData(
                    kind="note",
                    occurred_at=timezone.now(),
                    subject=f"活動{number}",
                    links=activity_services.Links(contact=other),
                ),
            )


@pytest.mark.parametrize("name", ["contacts:detail", "companies:detail"])
def test_the_pages_cost_the_same_queries_however_many_related_records(
    client, cast, world, name, django_assert_max_num_queries
):
    record = world["contact"] if name == "contacts:detail" else world["company"]
    url = reverse(name, args=[record.pk])
    login(client, cast.member)
    _grow(cast, world, 2)
    client.get(url)  # warm the per-process caches (keys, permissions)
    few = _queries(client, url)
    _grow(cast, world, 12)
    many = _queries(client, url)
    assert many == few, f"{name}: {few} queries with 2 of each, {many} with 14 (N+1)"
    with django_assert_max_num_queries(few):
        client.get(url)


def test_the_rollup_merges_the_companys_and_its_peoples_activities_in_time_order(
    client, cast, world
):
    company, contact = world["company"], world["contact"]
    now = timezone.now()
    with scope(workspace=cast.acme):
        for subject, minutes, links in (
            ("会社への訪問", 3, {"company": company}),
            ("本人への電話", 2, {"contact": contact}),
            ("会社と本人の両方", 1, {"company": company, "contact": contact}),
        ):
            activity_services.activity_log(
                membership=cast.member_membership,
                data=activity_services.ActivityData(
                    kind="call",
                    occurred_at=now - timezone.timedelta(minutes=minutes),
                    subject=subject,
                    links=activity_services.Links(**links),
                ),
            )
    page = _page(client, cast, "companies:detail", company)
    # Each entry shows its subject once (its ⋯ menu names it too, for screen readers).
    shown = [
        f"<strong>{subject}</strong>"
        for subject in ("会社と本人の両方", "本人への電話", "会社への訪問")
    ]
    assert page.count(shown[0]) == 1
    assert page.index(shown[0]) < page.index(shown[1]) < page.index(shown[2])
