"""Contact and company screens in ja and en: lists, create with possible
duplicates, edit, delete, merge, saved views, search; query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.models import Company, Contact, SavedView, Tag
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.testing.auth import login


def _post_contact(client, HTTP_ACCEPT_LANGUAGE="ja", **fields):
    data = {
        "family_name": "山田",
        "given_name": "花子",
        "stage": "lead",
        "source": "direct",
        "emails-TOTAL_FORMS": "2",
        "emails-INITIAL_FORMS": "0",
        "phones-TOTAL_FORMS": "2",
        "phones-INITIAL_FORMS": "0",
        "emails-0-value": "hanako@example.jp",
        "phones-0-value": "03-1234-5678",
    }
    data.update(fields)
    return client.post(
        reverse("contacts:create"), data, secure=True, HTTP_ACCEPT_LANGUAGE=HTTP_ACCEPT_LANGUAGE
    )


@pytest.mark.parametrize(
    ("language", "title", "empty"),
    [("en", "Contacts", "No contacts match."), ("ja", "連絡先", "該当する連絡先はありません。")],
)
def test_list_page_in_both_languages(client, cast, language, title, empty):
    login(client, cast.viewer)
    response = client.get(reverse("contacts:list"), secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    assert title in body and empty in body


def test_create_shows_duplicates_then_creates_anyway(client, cast):
    owner = member_of(cast.acme, cast.owner)
    existing = make_contact(owner, emails=["hanako@example.jp"])
    login(client, cast.member)
    response = _post_contact(client, **{"emails-0-value": "HANAKO@example.jp"})
    assert response.status_code == 200
    assert "重複の可能性がある連絡先" in response.content.decode()
    assert str(existing.pk) in response.content.decode()
    with scopes_disabled():
        assert Contact.objects.count() == 1
    response = _post_contact(
        client, **{"emails-0-value": "HANAKO@example.jp", "confirm_duplicate": "on"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Contact.objects.count() == 2


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "is not a valid email address"), ("ja", "有効なメールアドレスではありません")],
)
def test_invalid_email_is_a_translated_400_and_changes_nothing(client, cast, language, message):
    login(client, cast.member)
    response = client.post(
        reverse("contacts:create"),
        {
            "family_name": "山田",
            "stage": "lead",
            "source": "direct",
            "emails-TOTAL_FORMS": "1",
            "emails-INITIAL_FORMS": "0",
            "phones-TOTAL_FORMS": "0",
            "phones-INITIAL_FORMS": "0",
            "emails-0-value": "not-an-email",
        },
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    with scopes_disabled():
        assert Contact.objects.count() == 0


def test_oversized_note_is_refused(client, cast):
    login(client, cast.member)
    response = _post_contact(client, notes="x" * 20_001)
    assert response.status_code == 400
    with scopes_disabled():
        assert Contact.objects.count() == 0


def test_detail_shows_values_and_timeline(client, cast):
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(owner, emails=["hanako@example.jp"], phones=["0312345678"])
    login(client, cast.viewer)
    response = client.get(
        reverse("contacts:detail", args=[contact.pk]), secure=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Hanako" not in body and "山田 花子" in body  # written in kanji: family first
    assert "hanako@example.jp" in body and "+81312345678" in body
    assert "Contact created" in body
    assert f'href="/contacts/{contact.pk}/edit/"' not in body  # viewers never write


def test_viewer_cannot_edit_and_member_only_own(client, cast):
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(owner)
    login(client, cast.viewer)
    assert client.get(reverse("contacts:edit", args=[contact.pk]), secure=True).status_code == 403
    login(client, cast.member)
    assert client.get(reverse("contacts:edit", args=[contact.pk]), secure=True).status_code == 403
    assert (
        client.post(reverse("contacts:delete", args=[contact.pk]), secure=True).status_code == 403
    )
    with scopes_disabled():
        assert Contact.objects.filter(pk=contact.pk).exists()


def test_member_edits_own_contact(client, cast):
    member = member_of(cast.acme, cast.member)
    contact = make_contact(member)
    login(client, cast.member)
    url = reverse("contacts:edit", args=[contact.pk])
    assert client.get(url, secure=True).status_code == 200
    response = client.post(
        url,
        {
            "family_name": "山田",
            "given_name": "太郎",
            "stage": "customer",
            "source": "direct",
            "owner": str(cast.member.pk),
            "emails-TOTAL_FORMS": "1",
            "emails-INITIAL_FORMS": "0",
            "emails-0-value": "t@example.jp",
            "phones-TOTAL_FORMS": "0",
            "phones-INITIAL_FORMS": "0",
            "new_tags": "vip, 東京",
        },
        secure=True,
    )
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        fresh = Contact.objects.get(pk=contact.pk)
        assert fresh.given_name == "太郎" and fresh.stage == "customer"
        assert {t.name for t in fresh.tags.all()} == {"vip", "東京"}
        assert fresh.primary_email == "t@example.jp"


def test_merge_page(client, cast):
    owner = member_of(cast.acme, cast.owner)
    keep = make_contact(owner, emails=["a@example.jp"])
    away = make_contact(owner, emails=["a@example.jp", "b@example.jp"])
    login(client, cast.owner)
    dupes = client.get(reverse("contacts:duplicates", args=[keep.pk]), secure=True)
    assert str(away.pk) in dupes.content.decode()
    url = reverse("contacts:merge", args=[keep.pk])
    assert client.get(url + f"?other={away.pk}", secure=True).status_code == 200
    response = client.post(url, {"other": str(away.pk), "confirm": "1"}, secure=True)
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        assert not Contact.objects.filter(pk=away.pk).exists()
        assert Contact.objects.get(pk=keep.pk).emails.count() == 2


def test_saved_views_store_ids_and_codes_only(client, cast):
    login(client, cast.member)
    response = client.post(
        reverse("contacts:saved_view_create"),
        {"name": "Hot leads", "stage": "lead", "q": "山田"},
        secure=True,
    )
    assert response.status_code == 302
    with scopes_disabled():
        view = SavedView.objects.get()
    assert view.filters == {"stage": "lead"}
    page = client.get(reverse("contacts:list"), secure=True).content.decode()
    assert "Hot leads" in page
    client.post(reverse("contacts:saved_view_delete", args=[view.pk]), secure=True)
    with scopes_disabled():
        assert not SavedView.objects.exists()


def test_list_filters_search_and_keyset_pages(client, cast):
    owner = member_of(cast.acme, cast.owner)
    for i in range(55):
        make_contact(owner, family=f"Name{i}", given="X", stage="customer" if i % 2 else "lead")
    login(client, cast.owner)
    en = {"secure": True, "HTTP_ACCEPT_LANGUAGE": "en"}
    first = client.get(reverse("contacts:list"), **en).content.decode()
    assert "50+ results shown" in first and "cursor=" in first
    customers = client.get(reverse("contacts:list") + "?stage=customer", **en).content.decode()
    assert "X Name1<" in customers and "X Name2<" not in customers
    found = client.get(reverse("contacts:list") + "?q=name7", **en).content.decode()
    assert "X Name7<" in found and "X Name17<" not in found


def test_list_queries_do_not_grow_with_page_size(client, cast, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = member_of(cast.acme, cast.owner)
    company = make_company(owner, name="Acme Co")
    make_contact(owner, emails=["one@example.jp"], phones=["0311112222"], company_id=company.pk)
    login(client, cast.owner)
    client.get(reverse("contacts:list"), secure=True)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("contacts:list"), secure=True)
    for i in range(30):
        make_contact(
            owner,
            family=f"N{i}",
            emails=[f"n{i}@example.jp"],
            phones=["0311112222"],
            company_id=company.pk,
        )
    with CaptureQueriesContext(connection) as big:
        client.get(reverse("contacts:list"), secure=True)
    assert len(big) == len(small)


def test_list_data_takes_at_most_8_queries(cast, django_assert_max_num_queries):
    from terabox_crm.contacts import selectors
    from terabox_crm.crypto import keyring

    owner = member_of(cast.acme, cast.owner)
    company = make_company(owner, name="Acme Co")
    for i in range(60):
        make_contact(
            owner,
            family=f"N{i}",
            emails=[f"n{i}@example.jp"],
            phones=["0311112222"],
            company_id=company.pk,
        )
    keyring.reset_cache()
    with scope(workspace=cast.acme), django_assert_max_num_queries(8):
        page = selectors.contact_page(owner, selectors.ContactFilters())
        shown = [
            (
                c.display_name,
                c.primary_email,
                c.primary_phone,
                c.company.name,
                c.owner.label,
                [t.name for t in c.tags.all()],
            )
            for c in page.rows
        ]
    assert len(shown) == 50


def test_companies_screens(client, cast):
    login(client, cast.member)
    response = client.post(
        reverse("companies:create"),
        {
            "name": "株式会社テラ",
            "name_kana": "テラ",
            "phone": "03-1234-5678",
            "website": "https://tera.example",
        },
        secure=True,
    )
    assert response.status_code == 302
    with scopes_disabled():
        company = Company.objects.get()
    assert company.phone == "+81312345678"
    detail = client.get(reverse("companies:detail", args=[company.pk]), secure=True)
    assert "株式会社テラ" in detail.content.decode()
    listing = client.get(reverse("companies:list") + "?q=てら", secure=True).content.decode()
    assert "株式会社テラ" in listing
    bad = client.post(reverse("companies:create"), {"name": "X", "phone": "12"}, secure=True)
    assert bad.status_code == 400


def test_global_search_page(client, cast):
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(owner, phones=["090-1234-5678"])
    login(client, cast.viewer)
    response = client.get(reverse("contacts:search") + "?q=%2B81+90+1234+5678", secure=True)
    assert str(contact.pk) in response.content.decode()


def test_nav_links_for_readers(client, cast):
    login(client, cast.viewer)
    body = client.get(reverse("contacts:list"), secure=True, HTTP_ACCEPT_LANGUAGE="en")
    assert reverse("companies:list") in body.content.decode()


def test_show_more_answers_rows_only_for_htmx_and_bad_cursor_starts_again(client, cast):
    owner = member_of(cast.acme, cast.owner)
    for i in range(52):
        make_contact(owner, family=f"Name{i}", given="X")
    login(client, cast.owner)
    en = {"secure": True, "HTTP_ACCEPT_LANGUAGE": "en"}
    first = client.get(reverse("contacts:list"), **en)
    cursor = first.context["page"].next_cursor
    more = client.get(reverse("contacts:list") + f"?cursor={cursor}", HTTP_HX_REQUEST="true", **en)
    body = more.content.decode()
    assert "<html" not in body and body.count("<tr>") == 2
    garbage = client.get(reverse("contacts:list") + "?cursor=%%%garbage", **en)
    assert garbage.status_code == 200 and len(garbage.context["page"].rows) == 50


def test_topbar_search_box_for_readers(client, cast):
    login(client, cast.viewer)
    body = client.get(reverse("web:home"), secure=True).content.decode()
    assert 'id="global-search"' in body and reverse("contacts:search") in body


def test_invalid_input_is_reported_before_possible_duplicates(client, cast):
    owner = member_of(cast.acme, cast.owner)
    make_contact(owner, emails=["hanako@example.jp"])
    login(client, cast.member)
    response = _post_contact(client, **{"emails-1-value": "bad"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not a valid email address" in body and "Possible duplicates" not in body


def test_company_detail_timeline(client, cast):
    owner = member_of(cast.acme, cast.owner)
    company = make_company(owner, name="Acme Co")
    login(client, cast.viewer)
    body = client.get(
        reverse("companies:detail", args=[company.pk]), secure=True, HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert "会社を作成" in body and "タイムライン" in body


def test_timeline_names_changed_fields_in_the_readers_language(client, cast):
    from terabox_crm.contacts import services

    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(owner)
    with scope(workspace=cast.acme):
        data = services.contact_data_of(contact)
        data.given_name, data.owner_id = "花", cast.admin.pk
        services.contact_update(membership=owner, contact=contact, data=data)
    login(client, cast.viewer)
    url = reverse("contacts:detail", args=[contact.pk])
    ja = client.get(url, secure=True, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    en = client.get(url, secure=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "連絡先を更新" in ja and "（名、担当者）" in ja
    assert "Contact updated" in en and "(given name, owner)" in en


def test_edit_shows_the_contacts_company_however_old(client, cast):
    member = member_of(cast.acme, cast.member)
    old = make_company(member, name="Old Co")
    for i in range(3):
        make_company(member, name=f"New Co {i}")
    contact = make_contact(member, company_id=old.pk)
    login(client, cast.member)
    page = client.get(reverse("contacts:edit", args=[contact.pk]), secure=True).content.decode()
    assert f'name="company" id="id_company" value="{old.pk}"' in page
    assert 'name="company_name" id="id_company_name" value="Old Co"' in page
    assert "New Co" not in page  # no list of companies in the page


def test_company_list_filters_by_owner_and_tag(client, cast):
    owner = member_of(cast.acme, cast.owner)
    with scope(workspace=cast.acme):
        vip = Tag.objects.create(workspace=cast.acme, name="vip")
    make_company(owner, name="Tagged Co", tag_ids=[vip.pk])
    make_company(owner, name="Admins Co", owner_id=cast.admin.pk)
    login(client, cast.viewer)
    url = reverse("companies:list")
    tagged = client.get(f"{url}?tag={vip.pk}", secure=True).content.decode()
    assert "Tagged Co" in tagged and "Admins Co" not in tagged
    admins = client.get(f"{url}?owner={cast.admin.pk}", secure=True).content.decode()
    assert "Admins Co" in admins and "Tagged Co" not in admins
    assert client.get(f"{url}?owner=garbage", secure=True).status_code == 200
