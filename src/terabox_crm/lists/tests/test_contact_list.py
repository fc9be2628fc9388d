"""The shared list anatomy on the contact and company lists (docs/ui.md
"Lists"): header sorting with keyset pages, the capped count, bulk actions
(limit, atomicity, per-record permission, locks, foreign ids, audit),
remembered columns and saved views per user, ja and en, query counts."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.models import Company, Contact, Tag
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.lists import anatomy
from terabox_crm.lists.models import ListColumns, ListView
from terabox_crm.testing.auth import login

EN = {"secure": True, "HTTP_ACCEPT_LANGUAGE": "en"}
JA = {"secure": True, "HTTP_ACCEPT_LANGUAGE": "ja"}


def _names(body: str) -> list[str]:
    return re.findall(r'href="/contacts/[0-9a-f-]{36}/">([^<]+)</a>', body)


def _bulk(client, ids, action, value="", lang=EN):
    data = {"ids": [str(i) for i in ids], "action": action, f"value_{action}": value}
    return client.post(reverse("contacts:bulk"), data, follow=True, **lang)


@pytest.fixture
def owner(cast):
    return member_of(cast.acme, cast.owner)


# --- Sorting and pages --------------------------------------------------------------------


def test_a_column_header_sorts_and_says_how(client, cast, owner):
    make_contact(owner, family="Aoki", stage="lead")
    make_contact(owner, family="Baba", stage="customer")
    login(client, cast.owner)
    body = client.get(reverse("contacts:list") + "?sort=stage", **EN).content.decode()
    assert _names(body)[0].startswith("Aoki")  # a lead comes before a customer
    assert 'aria-sort="ascending"' in body
    # Clicking the sorted header again reverses it.
    assert 'href="?sort=-stage"' in body
    body = client.get(reverse("contacts:list") + "?sort=-stage", **EN).content.decode()
    assert _names(body)[0].startswith("Baba")
    assert 'aria-sort="descending"' in body


def test_encrypted_columns_are_not_sort_keys(client, cast, owner):
    make_contact(owner, family="Aoki")
    login(client, cast.owner)
    body = client.get(reverse("contacts:list") + "?sort=email", **EN).content.decode()
    assert 'href="?sort=email"' not in body and 'data-sort="email"' not in body
    # The default order holds: newest first.
    assert 'href="?sort=created_at"' in body
    assert anatomy.sort_from(anatomy.spec_of("contacts"), "name").param == "-created_at"


def test_keyset_pages_in_any_sort_see_every_row_once(cast, owner):
    for i in range(23):
        make_contact(owner, family=f"K{i:02}", stage=["lead", "customer", "prospect"][i % 3])
    spec = anatomy.spec_of("contacts")
    with scope(workspace=cast.acme):
        for value in ("stage", "-stage", "created_at", "-updated_at", "source"):
            sort = anatomy.sort_from(spec, value)
            seen, cursor = [], ""
            while True:
                page = anatomy.keyset(Contact.objects.all(), sort, cursor=cursor, limit=5)
                seen += [row.pk for row in page.rows]
                if not page.has_more:
                    break
                cursor = page.next_cursor
            assert len(seen) == 23 == len(set(seen)), value
            stages = [Contact.objects.get(pk=pk).stage for pk in seen]
            if value == "stage":
                rank = ["lead", "prospect", "customer", "churned"]
                assert stages == sorted(stages, key=rank.index)


def test_a_cursor_for_another_sort_starts_again(cast, owner):
    make_contact(owner, family="A")
    spec = anatomy.spec_of("contacts")
    sort = anatomy.sort_from(spec, "stage")
    cursor = anatomy.encode_cursor(sort, 0, uuid.uuid4())
    assert anatomy.decode_cursor(anatomy.sort_from(spec, "-stage"), cursor) is None
    assert anatomy.decode_cursor(sort, "not base64!") is None


def test_the_count_is_capped(cast, owner):
    for i in range(4):
        make_contact(owner, family=f"C{i}")
    with scope(workspace=cast.acme):
        assert anatomy.capped_count(Contact.objects.all(), cap=10) == anatomy.Count(4)
        capped = anatomy.capped_count(Contact.objects.all(), cap=3)
    assert capped.capped and capped.value == 3
    with translation.override("en"):
        assert capped.label() == "3+ records"
    with translation.override("ja"):
        assert capped.label() == "3件以上"


@pytest.mark.parametrize(
    ("lang", "count", "sort_col"),
    [(EN, "2 records", "Lifecycle stage"), (JA, "2件", "ライフサイクル")],
)
def test_the_list_shows_its_count_in_both_languages(client, cast, owner, lang, count, sort_col):
    make_contact(owner, family="A")
    make_contact(owner, family="B")
    login(client, cast.owner)
    body = client.get(reverse("contacts:list"), **lang).content.decode()
    assert count in body and sort_col in body


# --- Bulk actions -------------------------------------------------------------------------


def test_bulk_owner_change_changes_all_and_audits_each(client, cast, owner):
    contacts = [make_contact(owner, family=f"B{i}") for i in range(3)]
    login(client, cast.owner)
    response = _bulk(client, [c.pk for c in contacts], "owner", str(cast.member.pk))
    assert "3 records changed." in response.content.decode()
    with scopes_disabled():
        assert {c.owner_id for c in Contact.objects.all()} == {cast.member.pk}
        events = AuditEvent.objects.filter(action="contacts.contact.updated")
        assert sorted(str(e.object_id) for e in events) == sorted(str(c.pk) for c in contacts)
        assert all(e.payload["fields"] == ["owner"] and e.payload["bulk"] for e in events)


def test_bulk_tags_stage_and_delete(client, cast, owner):
    a, b = make_contact(owner, family="A"), make_contact(owner, family="B")
    with scope(workspace=cast.acme):
        tag = Tag.objects.create(workspace=cast.acme, name="VIP")
    login(client, cast.owner)
    _bulk(client, [a.pk, b.pk], "tag_add", str(tag.pk))
    with scopes_disabled():
        assert set(tag.contacts.values_list("pk", flat=True)) == {a.pk, b.pk}
    _bulk(client, [a.pk], "tag_remove", str(tag.pk))
    _bulk(client, [a.pk, b.pk], "stage", "customer")
    with scopes_disabled():
        assert set(tag.contacts.values_list("pk", flat=True)) == {b.pk}
        assert set(Contact.objects.values_list("stage", flat=True)) == {"customer"}
    body = _bulk(client, [a.pk, b.pk], "delete", lang=JA).content.decode()
    assert "2件を削除しました。" in body
    with scopes_disabled():
        assert not Contact.objects.exists()
        assert AuditEvent.objects.filter(action="contacts.contact.deleted").count() == 2


def test_exactly_1000_records_are_accepted(client, cast, owner):
    contacts = [make_contact(owner, family="A")]
    ids = [contacts[0].pk] + [uuid.uuid4() for _ in range(anatomy.BULK_LIMIT - 1)]
    login(client, cast.owner)
    body = _bulk(client, ids, "owner", str(cast.member.pk)).content.decode()
    # Past the limit check: the made-up ids are then not found.
    assert "999 of the chosen records were not found. Nothing was changed." in body


def test_more_than_1000_records_are_refused_whole(client, cast, owner):
    one = make_contact(owner, family="A")
    ids = [one.pk] + [uuid.uuid4() for _ in range(anatomy.BULK_LIMIT)]
    login(client, cast.owner)
    body = _bulk(client, ids, "owner", str(cast.member.pk)).content.decode()
    assert "at most 1,000 records" in body and "1,001" in body
    with scopes_disabled():
        assert Contact.objects.get().owner_id == cast.owner.pk
    body = _bulk(client, ids, "owner", str(cast.member.pk), lang=JA).content.decode()
    assert "1,000件まで" in body


def test_one_forbidden_record_changes_nothing(client, cast, owner):
    member = member_of(cast.acme, cast.member)
    mine = [make_contact(member, family=f"M{i}") for i in range(2)]
    theirs = make_contact(owner, family="Owners")
    login(client, cast.member)
    body = _bulk(client, [*[c.pk for c in mine], theirs.pk], "delete").content.decode()
    assert "You may not change 1 of the chosen records. Nothing was changed." in body
    with scopes_disabled():
        assert Contact.objects.count() == 3
        assert not AuditEvent.objects.filter(action="contacts.contact.deleted").exists()
        denied = AuditEvent.objects.filter(action="security.permission.denied").last()
    assert denied.payload["count"] == 1
    body = _bulk(client, [*[c.pk for c in mine], theirs.pk], "delete", lang=JA).content.decode()
    assert "変更できません" in body


def test_a_viewer_cannot_bulk_change(client, cast, owner):
    contact = make_contact(owner, family="A")
    login(client, cast.viewer)
    response = client.post(
        reverse("contacts:bulk"), {"ids": [str(contact.pk)], "action": "delete"}, **EN
    )
    assert response.status_code in (302, 403)
    with scopes_disabled():
        assert Contact.objects.count() == 1


def test_another_workspaces_ids_are_refused_and_untouched(client, cast, owner):
    mine = make_contact(owner, family="Mine")
    foreign = make_contact(member_of(cast.globex, cast.outsider), family="Foreign")
    login(client, cast.owner)
    body = _bulk(client, [mine.pk, foreign.pk], "owner", str(cast.member.pk)).content.decode()
    assert "1 of the chosen records was not found. Nothing was changed." in body
    assert "Foreign" not in body
    with scopes_disabled():
        assert Contact.objects.get(pk=mine.pk).owner_id == cast.owner.pk
        assert Contact.objects.get(pk=foreign.pk).owner_id == cast.outsider.pk


def test_an_owner_from_another_workspace_is_refused(client, cast, owner):
    contact = make_contact(owner, family="A")
    login(client, cast.owner)
    body = _bulk(client, [contact.pk], "owner", str(cast.outsider.pk)).content.decode()
    assert "Choose a member of this workspace as the owner." in body
    with scopes_disabled():
        assert Contact.objects.get().owner_id == cast.owner.pk


def test_a_restricted_contacts_lock_refuses_the_whole_action(client, cast, owner):
    from terabox_crm.privacy import services as privacy

    free, locked = make_contact(owner, family="Free"), make_contact(owner, family="Locked")
    with scope(workspace=cast.acme):
        privacy.restriction_set(
            membership=member_of(cast.acme, cast.owner),
            subject_id=locked.pk,
            reason="disputed",
            requested_by="subject",
        )
    login(client, cast.admin)
    body = _bulk(client, [free.pk, locked.pk], "stage", "customer").content.decode()
    assert "You may not change 1 of the chosen records" in body
    with scopes_disabled():
        assert set(Contact.objects.values_list("stage", flat=True)) == {"lead"}


# --- Columns and saved views --------------------------------------------------------------


def test_columns_are_remembered_per_user_and_workspace(client, cast, owner):
    make_contact(owner, family="A", emails=["a@example.jp"])
    login(client, cast.owner)
    url = reverse("lists:columns")
    client.post(url, {"list": "contacts", "columns": ["stage", "kana", "bogus"]}, **EN)
    with scopes_disabled():
        kept = ListColumns.objects.get(user=cast.owner)
    assert kept.columns == ["kana", "stage"] and kept.workspace_id == cast.acme.pk
    body = client.get(reverse("contacts:list"), **EN).content.decode()
    assert "a@example.jp" not in body and 'data-sort="stage"' in body
    # Another member still sees the default columns.
    client.logout()
    login(client, cast.admin)
    assert "a@example.jp" in client.get(reverse("contacts:list"), **EN).content.decode()
    client.logout()
    login(client, cast.owner)
    client.post(url, {"list": "contacts", "reset": "1"}, **EN)
    assert "a@example.jp" in client.get(reverse("contacts:list"), **EN).content.decode()


def test_saved_views_are_tabs_of_their_user_only(client, cast, owner):
    make_contact(owner, family="Cust", stage="customer")
    make_contact(owner, family="Lead", stage="lead")
    login(client, cast.owner)
    response = client.post(
        reverse("lists:view_create"),
        {
            "list": "contacts",
            "name": "大口の顧客",
            "stage": "customer",
            "q": "secret name",
            "sort": "stage",
        },
        **JA,
    )
    assert response.status_code == 302
    with scopes_disabled():
        view = ListView.objects.get()
    assert view.params == {"stage": "customer", "sort": "stage"}  # never the search text
    body = client.get(reverse("contacts:list") + "?stage=customer&sort=stage", **JA)
    body = body.content.decode()
    # The view's parameters in either order (PostgreSQL's jsonb keeps its keys sorted).
    assert re.search(
        r'class="list-tab is-active">\s*<a href="\?(stage=customer&amp;sort=stage|'
        r'sort=stage&amp;stage=customer)"',
        body,
    )
    assert "大口の顧客" in body and [n.split()[0] for n in _names(body)] == ["Cust"]
    client.logout()
    login(client, cast.admin)
    assert "大口の顧客" not in client.get(reverse("contacts:list"), **JA).content.decode()
    response = client.post(reverse("lists:view_delete", args=[view.pk]), **JA)
    assert response.status_code == 404
    client.logout()
    login(client, cast.owner)
    client.post(reverse("lists:view_delete", args=[view.pk]), **JA)
    with scopes_disabled():
        assert not ListView.objects.exists()


def test_an_unknown_list_is_not_found(client, cast):
    login(client, cast.owner)
    response = client.post(reverse("lists:columns"), {"list": "nothing"}, **EN)
    assert response.status_code == 404


def test_filter_chips_remove_one_filter(client, cast, owner):
    make_contact(owner, family="A", stage="customer")
    login(client, cast.owner)
    body = client.get(reverse("contacts:list") + "?stage=customer&source=direct", **EN)
    body = body.content.decode()
    assert "Lifecycle stage: Customer" in body
    assert 'href="?source=direct" class="chip-remove"' in body


# --- Scale --------------------------------------------------------------------------------


def test_the_list_query_count_does_not_grow_with_rows(client, cast, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with scope(workspace=cast.acme):
        tag = Tag.objects.create(workspace=cast.acme, name="VIP")
    company = make_company(owner, name="Acme Co")
    make_contact(owner, family="One", company_id=company.pk, tag_ids=[tag.pk])
    login(client, cast.owner)
    client.post(reverse("lists:view_create"), {"list": "contacts", "name": "v", "stage": "lead"})
    url = reverse("contacts:list") + "?sort=stage"
    client.get(url, **EN)
    with CaptureQueriesContext(connection) as small:
        client.get(url, **EN)
    for i in range(25):
        make_contact(
            owner,
            family=f"N{i}",
            emails=[f"n{i}@example.jp"],
            company_id=company.pk,
            tag_ids=[tag.pk],
        )
    with CaptureQueriesContext(connection) as big:
        body = client.get(url, **EN).content.decode()
    assert len(_names(body)) == 26
    assert len(big) == len(small)


def test_company_list_sorts_counts_and_bulk_deletes(client, cast, owner):
    a = make_company(owner, name="Alpha", industry="物流")
    b = make_company(owner, name="Beta", industry="IT")
    login(client, cast.owner)
    body = client.get(reverse("companies:list") + "?sort=industry", **JA).content.decode()
    assert body.index("Beta") < body.index("Alpha") and "2件" in body
    response = client.post(
        reverse("companies:bulk"), {"ids": [str(a.pk), str(b.pk)], "action": "delete"}, **EN
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert not Company.objects.exists()


def test_contact_views_saved_before_are_tabs_too(client, cast, owner):
    from terabox_crm.contacts import services as contact_services

    with scope(workspace=cast.acme):
        old = contact_services.saved_view_create(
            membership=owner, name="Old leads", filters={"stage": "lead"}
        )
    login(client, cast.owner)
    body = client.get(reverse("contacts:list") + "?stage=lead", **EN).content.decode()
    assert re.search(r'class="list-tab is-active">\s*<a href="\?stage=lead"[^>]*>Old leads', body)
    assert reverse("contacts:saved_view_delete", args=[old.pk]) in body


@pytest.mark.parametrize(
    "value",
    [
        None,
        3,
        "lead",
        anatomy.Decimal("12.50"),
        anatomy.dt.date(2026, 12, 6),
        anatomy.dt.datetime(2026, 12, 6, 9, 30, tzinfo=anatomy.dt.UTC),
    ],
)
def test_a_cursor_keeps_its_value_and_type(value):
    sort = anatomy.sort_from(anatomy.spec_of("deals"), "amount")
    pk = uuid.uuid4()
    assert anatomy.decode_cursor(sort, anatomy.encode_cursor(sort, value, pk)) == (value, pk)
