"""The contact form's email/phone rows ("Add", "Remove", primary, at most 20)
and its company picker (the htmx endpoint, the typed-name fallback, the
hidden id checked like any input), in ja and en."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts import services
from terabox_crm.contacts.models import Contact
from terabox_crm.contacts.services import CHANNELS_MAX, ContactData, EmailIn
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.core.models import Membership, RecordVisibility, Team
from terabox_crm.testing.auth import login

TOO_MANY = {
    "en": "A contact can have at most 20 email addresses.",
    "ja": "1 件の連絡先に登録できるメールアドレスは 20 件までです。",
}


def _form(emails=(), phones=(), **fields) -> dict:
    """A posted contact form with the given email/phone row values."""
    data = {
        "family_name": "山田",
        "given_name": "花子",
        "company_name": "",
        "company": "",
        "stage": "lead",
        "source": "direct",
        "emails-TOTAL_FORMS": str(len(emails)),
        "emails-INITIAL_FORMS": "0",
        "phones-TOTAL_FORMS": str(len(phones)),
        "phones-INITIAL_FORMS": "0",
    }
    for prefix, values in (("emails", emails), ("phones", phones)):
        for i, value in enumerate(values):
            data[f"{prefix}-{i}-value"] = value
    data.update(fields)
    return data


def _post(client, data, *, url=None, language="en"):
    return client.post(
        url or reverse("contacts:create"), data, secure=True, HTTP_ACCEPT_LANGUAGE=language
    )


def _count() -> int:
    with scopes_disabled():
        return Contact.objects.count()


# --- Rows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "add_email", "add_phone", "primary"),
    [
        ("en", "Add email", "Add phone", "Primary"),
        ("ja", "メールアドレスを追加", "電話番号を追加", "メイン"),
    ],
)
def test_new_contact_form_has_one_row_each_and_add_buttons(
    client, cast, language, add_email, add_phone, primary
):
    login(client, cast.member)
    response = client.get(reverse("contacts:create"), secure=True, HTTP_ACCEPT_LANGUAGE=language)
    body = response.content.decode()
    assert response.context["emails"].total_form_count() == 1
    assert response.context["phones"].total_form_count() == 1
    assert 'name="add_email"' in body and add_email in body
    assert 'name="add_phone"' in body and add_phone in body
    assert primary in body
    assert 'name="emails-primary" value="0" checked' in body
    # the row the script copies
    assert 'name="emails-__prefix__-value"' in body and "<template data-row-template>" in body


def test_add_email_without_script_keeps_what_was_typed(client, cast):
    login(client, cast.member)
    data = _form(
        emails=["hanako@example.jp"],
        phones=["03-1234-5678"],
        job_title="部長",
        add_email="1",
        **{"emails-0-label": "仕事"},
    )
    response = _post(client, data)
    assert response.status_code == 200
    assert _count() == 0
    emails = response.context["emails"]
    assert emails.total_form_count() == 2
    assert emails.forms[0].initial == {
        "value": "hanako@example.jp",
        "label": "仕事",
        "is_primary": False,
    }
    body = response.content.decode()
    assert 'value="部長"' in body and 'value="03-1234-5678"' in body
    assert 'id="id_emails-1-value" value="" maxlength="254"' in body
    assert body.count(" autofocus") == 1  # the new row
    assert 'class="errors"' not in body


def test_add_row_reports_no_errors_of_what_is_half_typed(client, cast):
    login(client, cast.member)
    response = _post(client, _form(emails=["hanako@"], family_name="", add_phone="1"))
    assert response.status_code == 200
    assert response.context["phones"].total_form_count() == 1
    assert 'class="errors"' not in response.content.decode()


def test_remove_row_without_script_moves_the_primary_mark(client, cast):
    login(client, cast.member)
    data = _form(
        emails=["a@example.jp", "b@example.jp", "c@example.jp"],
        remove_email="0",
        **{"emails-primary": "2"},
    )
    response = _post(client, data)
    assert response.status_code == 200 and _count() == 0
    emails = response.context["emails"]
    assert [f.initial["value"] for f in emails.forms] == ["b@example.jp", "c@example.jp"]
    assert emails.primary == "1"
    assert 'name="emails-primary" value="1" checked' in response.content.decode()


def test_removing_the_only_row_leaves_a_blank_one(client, cast):
    login(client, cast.member)
    response = _post(client, _form(phones=["0312345678"], remove_phone="0"))
    phones = response.context["phones"]
    assert phones.total_form_count() == 1 and phones.forms[0].initial == {}


def test_primary_radio_chooses_the_primary_email_and_phone(client, cast):
    login(client, cast.member)
    data = _form(
        emails=["a@example.jp", "b@example.jp"],
        phones=["0311112222", "09012345678"],
        **{"emails-primary": "1", "phones-primary": "1"},
    )
    assert _post(client, data).status_code == 302
    with scopes_disabled():
        contact = Contact.objects.get()
        assert contact.primary_email == "b@example.jp"
        assert contact.primary_phone == "+819012345678"
        flags = sorted((e.value, e.is_primary) for e in contact.emails.all())
        assert flags == [("a@example.jp", False), ("b@example.jp", True)]


def test_primary_on_a_blank_row_makes_the_first_filled_row_primary(client, cast):
    login(client, cast.member)
    data = _form(emails=["", "a@example.jp", "b@example.jp"], **{"emails-primary": "0"})
    assert _post(client, data).status_code == 302
    with scopes_disabled():
        assert Contact.objects.get().primary_email == "a@example.jp"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_more_than_20_rows_is_a_translated_error_and_changes_nothing(client, cast, language):
    login(client, cast.member)
    emails = [f"p{i}@example.jp" for i in range(CHANNELS_MAX + 1)]
    response = _post(client, _form(emails=emails), language=language)
    assert response.status_code == 400
    assert TOO_MANY[language] in response.content.decode()
    assert _count() == 0


def test_add_at_20_rows_refuses_and_disables_the_button(client, cast):
    login(client, cast.member)
    emails = [f"p{i}@example.jp" for i in range(CHANNELS_MAX)]
    response = _post(client, _form(emails=emails, add_email="1"), language="ja")
    assert response.status_code == 200
    assert response.context["emails"].total_form_count() == CHANNELS_MAX
    body = response.content.decode()
    assert TOO_MANY["ja"] in body
    assert 'name="add_email" value="1" formnovalidate data-add-row disabled' in body


def test_twenty_rows_are_saved(client, cast):
    login(client, cast.member)
    emails = [f"p{i}@example.jp" for i in range(CHANNELS_MAX)]
    assert _post(client, _form(emails=emails)).status_code == 302
    with scopes_disabled():
        assert Contact.objects.get().emails.count() == CHANNELS_MAX


def test_service_refuses_more_than_20_emails(cast):
    member = member_of(cast.acme, cast.member)
    data = ContactData(
        family_name="山田", emails=[EmailIn(f"p{i}@example.jp") for i in range(CHANNELS_MAX + 1)]
    )
    with scope(workspace=cast.acme), pytest.raises(ValidationError) as caught:
        services.contact_create(membership=member, data=data)
    assert "emails" in caught.value.message_dict
    assert _count() == 0


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "is not a valid phone number"), ("ja", "有効な電話番号ではありません")],
)
def test_a_bad_value_is_reported_on_its_own_row(client, cast, language, message):
    login(client, cast.member)
    response = _post(
        client, _form(emails=["ok@example.jp"], phones=["0311112222", "12"]), language=language
    )
    assert response.status_code == 400 and _count() == 0
    phones = response.context["phones"]
    assert phones.forms[0].errors == {}
    assert message in phones.forms[1].errors["value"][0]
    assert response.context["emails"].forms[0].errors == {}
    body = response.content.decode()
    assert 'id="id_phones-1-value" value="12"' in body
    assert 'aria-invalid="true" aria-describedby="id_phones-1-value-errors"' in body
    assert (
        'id="id_phones-0-value" value="0311112222" maxlength="254" autocomplete="off" placeholder="03-1234-5678">'
        in body
    )


def test_edit_shows_the_rows_with_their_primary_and_saves_changes(client, cast):
    member = member_of(cast.acme, cast.member)
    contact = make_contact(member, emails=["a@example.jp", "b@example.jp"])
    with scope(workspace=cast.acme):
        data = services.contact_data_of(contact)
        data.emails = [EmailIn("a@example.jp"), EmailIn("b@example.jp", is_primary=True)]
        services.contact_update(membership=member, contact=contact, data=data)
    login(client, cast.member)
    url = reverse("contacts:edit", args=[contact.pk])
    page = client.get(url, secure=True)
    emails = page.context["emails"]
    assert emails.total_form_count() == 2  # no blank row: "Add email" gives one
    checked = [f.initial["value"] for f in emails.forms if f.primary]
    assert checked == ["b@example.jp"]
    added = _post(client, _form(emails=["b@example.jp", "a@example.jp"], add_email="1"), url=url)
    assert added.status_code == 200 and added.context["emails"].total_form_count() == 3
    saved = _post(
        client,
        _form(emails=["b@example.jp", "a@example.jp", "c@example.jp"], **{"emails-primary": "2"}),
        url=url,
    )
    assert saved.status_code == 302
    with scope(workspace=cast.acme):
        fresh = Contact.objects.get(pk=contact.pk)
        assert fresh.primary_email == "c@example.jp"
        assert fresh.emails.count() == 3


# --- Company picker endpoint --------------------------------------------------------------


def _pick(client, query, language="en"):
    return client.get(
        reverse("companies:picker"),
        {"company_name": query},
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
        HTTP_HX_REQUEST="true",
    )


def test_picker_finds_companies_by_whole_word_named_ones_first(client, cast):
    owner = member_of(cast.acme, cast.owner)
    exact = make_company(owner, name="Terabox")
    make_company(owner, name="Terabox Japan")
    make_company(owner, name="Tera Systems")
    login(client, cast.viewer)
    response = _pick(client, "ｔｅｒａｂｏｘ")
    assert response.status_code == 200
    matches = response.context["matches"]
    assert [c.name for c in matches] == ["Terabox", "Terabox Japan"]
    body = response.content.decode()
    assert "<html" not in body
    assert f'data-company-id="{exact.pk}" data-company-name="Terabox"' in body
    assert 'role="option"' in body


def test_picker_shows_at_most_20_and_says_there_are_more(client, cast):
    owner = member_of(cast.acme, cast.owner)
    for i in range(23):
        make_company(owner, name=f"Acme Branch{i}")
    login(client, cast.member)
    response = _pick(client, "acme", language="ja")
    assert len(response.context["matches"]) == 20
    assert "ほかにも該当する会社があります" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "No company matches “Nothing”"), ("ja", "「Nothing」に該当する会社はありません")],
)
def test_picker_without_matches_says_so(client, cast, language, message):
    login(client, cast.member)
    assert message in _pick(client, "Nothing", language).content.decode()
    assert _pick(client, "  ").content.decode().strip() == ""


def test_picker_never_shows_another_workspaces_companies(client, cast):
    outsider = member_of(cast.globex, cast.outsider)
    make_company(outsider, name="Shared Word Globex")
    owner = member_of(cast.acme, cast.owner)
    make_company(owner, name="Shared Word Acme")
    login(client, cast.owner)
    body = _pick(client, "shared word").content.decode()
    assert "Shared Word Acme" in body and "Globex" not in body


def test_picker_follows_team_visibility(client, cast):
    with scopes_disabled():
        sales = Team.objects.create(workspace=cast.acme, name="Sales")
        Membership.objects.filter(user=cast.member).update(team=sales)
    cast.acme.record_visibility = RecordVisibility.TEAM
    cast.acme.save()
    owner = member_of(cast.acme, cast.owner)
    make_company(owner, name="Hidden Trading", owner_id=cast.admin.pk)
    make_company(owner, name="Sales Trading", owner_id=cast.admin.pk, team_id=sales.pk)
    login(client, cast.member)
    assert [c.name for c in _pick(client, "trading").context["matches"]] == ["Sales Trading"]


def test_picker_needs_a_signed_in_member(client, cast):
    response = client.get(reverse("companies:picker") + "?company_name=acme", secure=True)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    login(client, cast.member)
    post = client.post(reverse("companies:picker"), {"company_name": "acme"}, secure=True)
    assert post.status_code == 405


# --- The company on the form --------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Choose a company of this workspace."),
        ("ja", "このワークスペースの会社を選んでください。"),
    ],
)
def test_a_foreign_company_id_is_refused(client, cast, language, message):
    foreign = make_company(member_of(cast.globex, cast.outsider), name="Globex Secret")
    login(client, cast.member)
    response = _post(
        client, _form(company=str(foreign.pk), company_name="Globex Secret"), language=language
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert _count() == 0


def test_a_foreign_company_id_leaves_an_edited_contact_unchanged(client, cast):
    member = member_of(cast.acme, cast.member)
    mine = make_company(member, name="Mine Co")
    contact = make_contact(member, company_id=mine.pk)
    foreign = make_company(member_of(cast.globex, cast.outsider), name="Globex Secret")
    owner = str(cast.member.pk)
    login(client, cast.member)
    url = reverse("contacts:edit", args=[contact.pk])
    for name in ("Globex Secret", "", "Mine Co"):
        response = _post(
            client, _form(company=str(foreign.pk), company_name=name, owner=owner), url=url
        )
        assert response.status_code == 400
    with scope(workspace=cast.acme):
        assert Contact.objects.get(pk=contact.pk).company_id == mine.pk


def test_a_company_the_member_cannot_read_is_refused(client, cast):
    cast.acme.record_visibility = RecordVisibility.TEAM
    cast.acme.save()
    hidden = make_company(member_of(cast.acme, cast.owner), name="Hidden Co")
    login(client, cast.member)
    response = _post(client, _form(company=str(hidden.pk), company_name="Hidden Co"))
    assert response.status_code == 400 and _count() == 0


def test_the_chosen_company_id_is_saved(client, cast):
    member = member_of(cast.acme, cast.member)
    company = make_company(member, name="株式会社テラ")
    login(client, cast.member)
    response = _post(client, _form(company=str(company.pk), company_name="株式会社テラ"))
    assert response.status_code == 302
    with scopes_disabled():
        assert Contact.objects.get().company_id == company.pk


def test_a_typed_name_is_resolved_exactly_without_script(client, cast):
    member = member_of(cast.acme, cast.member)
    company = make_company(member, name="Tera Box")
    make_company(member, name="Tera Box Japan")
    login(client, cast.member)
    assert _post(client, _form(company_name="ｔｅｒａ　ＢＯＸ")).status_code == 302
    with scopes_disabled():
        assert Contact.objects.get().company_id == company.pk


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "No company is called exactly “Tera”. Choose one of these below."),
        ("ja", "「Tera」という名前の会社はありません。下の候補から選んでください。"),
    ],
)
def test_an_inexact_name_lists_the_matches_to_pick(client, cast, language, message):
    member = member_of(cast.acme, cast.member)
    one = make_company(member, name="Tera Box")
    two = make_company(member, name="Tera Systems")
    login(client, cast.member)
    response = _post(client, _form(company_name="Tera"), language=language)
    assert response.status_code == 400 and _count() == 0
    body = response.content.decode()
    assert message in body
    for company in (one, two):
        assert f'name="company_pick" value="{company.pk}"' in body
    picked = _post(client, _form(company_name="Tera", company_pick=str(two.pk)))
    assert picked.status_code == 302
    with scopes_disabled():
        assert Contact.objects.get().company_id == two.pk


def test_two_companies_of_the_same_name_must_be_picked(client, cast):
    member = member_of(cast.acme, cast.member)
    make_company(member, name="Same Name")
    make_company(member, name="Same Name")
    login(client, cast.member)
    response = _post(client, _form(company_name="same name"), language="ja")
    assert response.status_code == 400
    body = response.content.decode()
    assert "「same name」という名前の会社が複数あります。" in body
    assert body.count('name="company_pick"') == 2


def test_an_unknown_name_is_a_translated_error(client, cast):
    login(client, cast.member)
    response = _post(client, _form(company_name="Nowhere Inc"), language="ja")
    assert response.status_code == 400
    assert "「Nowhere Inc」に該当する会社はありません。" in response.content.decode()


def test_a_picked_match_from_another_workspace_is_refused(client, cast):
    foreign = make_company(member_of(cast.globex, cast.outsider), name="Globex Secret")
    login(client, cast.member)
    response = _post(client, _form(company_name="x", company_pick=str(foreign.pk)))
    assert response.status_code == 400 and _count() == 0


def test_a_name_changed_after_choosing_counts_and_emptying_it_removes_the_company(client, cast):
    member = member_of(cast.acme, cast.member)
    first = make_company(member, name="First Co")
    second = make_company(member, name="Second Co")
    contact = make_contact(member, company_id=first.pk)
    login(client, cast.member)
    url = reverse("contacts:edit", args=[contact.pk])
    # Without the script the hidden id still says First Co; the typed name wins.
    owner = str(cast.member.pk)
    changed = _post(
        client, _form(company=str(first.pk), company_name="Second Co", owner=owner), url=url
    )
    assert changed.status_code == 302
    with scope(workspace=cast.acme):
        assert Contact.objects.get(pk=contact.pk).company_id == second.pk
    emptied = _post(client, _form(company=str(second.pk), company_name="", owner=owner), url=url)
    assert emptied.status_code == 302
    with scope(workspace=cast.acme):
        assert Contact.objects.get(pk=contact.pk).company_id is None


def test_new_contact_for_a_company_fills_its_name_but_never_a_foreign_one(client, cast):
    member = member_of(cast.acme, cast.member)
    mine = make_company(member, name="Mine Co")
    foreign = make_company(member_of(cast.globex, cast.outsider), name="Globex Secret")
    login(client, cast.member)
    url = reverse("contacts:create")
    page = client.get(f"{url}?company={mine.pk}", secure=True).content.decode()
    assert 'value="Mine Co"' in page and f'value="{mine.pk}"' in page
    asked = f"{url}?company={foreign.pk}"
    page = client.get(asked, secure=True).content.decode()
    page = page.replace(asked, "")  # the language switcher's "next" echoes the address
    assert "Globex Secret" not in page
    assert str(foreign.pk) not in page


def test_adding_a_row_keeps_the_chosen_company(client, cast):
    member = member_of(cast.acme, cast.member)
    company = make_company(member, name="Kept Co")
    login(client, cast.member)
    response = _post(client, _form(company=str(company.pk), company_name="Kept Co", add_email="1"))
    body = response.content.decode()
    assert (
        f'name="company" id="id_company" value="{company.pk}"' in body and 'value="Kept Co"' in body
    )
    picked = _post(client, _form(company_name="Kept", company_pick=str(company.pk), add_phone="1"))
    assert f'name="company" id="id_company" value="{company.pk}"' in picked.content.decode()


def test_a_pick_is_kept_when_the_form_comes_back_with_other_errors(client, cast):
    member = member_of(cast.acme, cast.member)
    company = make_company(member, name="Tera Box")
    make_company(member, name="Tera Systems")
    login(client, cast.member)
    response = _post(
        client, _form(emails=["bad"], company_name="Tera", company_pick=str(company.pk))
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f'name="company" id="id_company" value="{company.pk}"' in body
    assert 'name="company_name" id="id_company_name" value="Tera Box"' in body
    assert 'name="company_pick"' not in body


def test_the_tags_list_appears_only_once_the_workspace_has_tags(client, cast):
    login(client, cast.member)
    url = reverse("contacts:create")
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="tags"' not in html
    assert 'name="new_tags"' in html
    with scope(workspace=cast.acme):
        services.tag_get_or_create(membership=member_of(cast.acme, cast.member), name="VIP")
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<select name="tags"' in html and 'data-chips-for="id_new_tags"' in html
    assert "VIP" in html
