"""Fulfilling restriction, consent-withdrawal and deletion requests from the
request screen through the real privacy and erasure services (P7, P8, S4)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.dsr import services
from terabox_crm.dsr.models import StatusChange, Submission
from terabox_crm.dsr.tests.helpers import make_contact, make_officer
from terabox_crm.erasure.models import Tombstone
from terabox_crm.privacy import gate
from terabox_crm.privacy.models import ConsentEvent, Restriction
from terabox_crm.privacy.tests.support import grant, restrict
from terabox_crm.testing.auth import login as _login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    """Signed-in requests activate the user's language on this thread (the
    middleware never deactivates it): put the default back for later tests."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def login(client, user, **kwargs):
    """Sign in with English as the user's own language (it wins over Accept-Language)."""
    with scopes_disabled():
        user.language = "en"
        user.save(update_fields=["language"])
    _login(client, user, **kwargs)


def _request(cast, kind, address="hanako@example.jp"):
    contact = make_contact(cast.owner_membership, address)
    with scopes_disabled():
        submission = Submission.objects.create(
            kind=kind, email=address, email_index="x", language="en", verified_at=timezone.now()
        )
    (item,) = services.submission_route(submission.pk)
    return item, contact


def _history(item):
    with scope(workspace=item.workspace_id):
        return list(StatusChange.objects.filter(request=item).order_by("created_at", "id"))


def _post(client, name, item, contact, **data):
    return client.post(
        reverse(f"dsr:{name}", args=[item.pk, contact.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )


def _page(client, item, lang="en"):
    return client.get(reverse("dsr:request", args=[item.pk]), HTTP_ACCEPT_LANGUAGE=lang)


def test_a_restriction_request_restricts_the_person_and_is_in_the_history(client, cast):
    item, contact = _request(cast, "restriction")
    make_officer(cast.member_membership)
    login(client, cast.member)
    assert reverse("dsr:restrict", args=[item.pk, contact.pk]) in _page(client, item).text
    assert _post(client, "restrict", item, contact).status_code == 302
    assert gate.restricted_among(cast.acme.pk, [contact.pk])
    with scope(workspace=cast.acme):
        restriction = Restriction.objects.get(subject_id=contact.pk)
    assert restriction.requested_by == "hanako@example.jp"
    history = _history(item)
    assert history[-1].to_status == "in_progress"
    assert (history[-1].outcome, history[-1].outcome_subject) == ("restricted", contact.pk)
    assert f"Use restricted for person {contact.pk}." in _page(client, item).text


def test_restricting_twice_is_refused_with_nothing_changed(client, cast):
    item, contact = _request(cast, "restriction")
    officer = make_officer(cast.member_membership)
    restrict(officer, contact)
    login(client, cast.member)
    before = len(_history(item))
    response = _post(client, "restrict", item, contact)
    assert response.status_code == 302
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").text
    assert "restricted already" in page
    assert len(_history(item)) == before
    with scope(workspace=cast.acme):
        assert Restriction.objects.filter(subject_id=contact.pk).count() == 1
    # The same refusal, in Japanese.
    with scopes_disabled():
        cast.member.language = "ja"
        cast.member.save(update_fields=["language"])
    _post(client, "restrict", item, contact)
    ja = _page(client, item).text
    assert "この人のデータはすでに利用停止中です。" in ja


def test_a_withdrawal_request_withdraws_the_purposes_the_officer_picks(client, cast):
    item, contact = _request(cast, "withdrawal")
    officer = make_officer(cast.member_membership)
    grant(officer, contact, "communication")
    login(client, cast.member)
    page = _page(client, item).text
    assert 'value="communication"' in page
    assert _post(client, "withdraw", item, contact, purposes=["communication"]).status_code == 302
    with scope(workspace=cast.acme):
        withdrawn = ConsentEvent.objects.filter(subject_id=contact.pk, kind="withdraw")
        assert [e.purpose.code for e in withdrawn] == ["communication"]
    assert _history(item)[-1].outcome_purposes == ["communication"]


def test_withdrawing_a_consent_never_given_changes_nothing(client, cast):
    item, contact = _request(cast, "withdrawal")
    officer = make_officer(cast.member_membership)
    grant(officer, contact, "communication")
    login(client, cast.member)
    before = len(_history(item))
    # "support" was never consented to: the whole withdrawal is refused,
    # "communication" included.
    response = _post(client, "withdraw", item, contact, purposes=["communication", "support"])
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").text
    assert "never gave consent" in page
    with scope(workspace=cast.acme):
        assert ConsentEvent.objects.filter(subject_id=contact.pk, kind="withdraw").count() == 0
    assert len(_history(item)) == before
    response = _post(client, "withdraw", item, contact)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").text
    assert "Choose the purposes" in page


def test_a_deletion_needs_a_fresh_step_up_then_erases_the_person(client, cast):
    item, contact = _request(cast, "deletion")
    make_officer(cast.member_membership)
    login(client, cast.member)
    assert reverse("dsr:erase", args=[item.pk, contact.pk]) in _page(client, item).text
    response = _post(client, "erase", item, contact)
    assert response.status_code == 302 and reverse("accounts:step_up") in response["Location"]
    with scopes_disabled():
        assert Contact.objects.filter(pk=contact.pk).exists()
    login(client, cast.member, step_up=True)
    assert _post(client, "erase", item, contact).status_code == 302
    with scopes_disabled():
        assert not Contact.objects.filter(pk=contact.pk).exists()
        tombstone = Tombstone.objects.get(subject_id=contact.pk)
    assert tombstone.request_id == str(item.pk)
    erased = _history(item)[-1]
    assert (erased.outcome, erased.outcome_subject, erased.note) == ("erased", contact.pk, "")
    page = _page(client, item).text
    assert "Erased" in page and reverse("dsr:erase", args=[item.pk, contact.pk]) not in page
    # Erasing twice: refused with the first erasure's date, nothing changed.
    before = len(_history(item))
    response = _post(client, "erase", item, contact)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").text
    assert "already erased" in page
    assert len(_history(item)) == before


def test_a_closed_request_or_a_person_not_named_by_it_is_refused(client, cast):
    item, contact = _request(cast, "restriction")
    other = make_contact(cast.owner_membership, "jiro@example.jp", given="次郎")
    officer = make_officer(cast.member_membership)
    login(client, cast.member)
    response = _post(client, "restrict", item, other)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").text
    assert "not found under the request" in page
    assert not gate.restricted_among(cast.acme.pk, [other.pk])
    services.request_set_status(membership=officer, request=item, status="in_progress")
    services.request_set_status(membership=officer, request=item, status="done", note="n/a")
    _post(client, "restrict", item, contact)
    assert not gate.restricted_among(cast.acme.pk, [contact.pk])


def test_staff_without_the_privacy_officer_capability_cannot_fulfil(client, cast):
    item, contact = _request(cast, "deletion")
    login(client, cast.owner, step_up=True)
    assert _post(client, "erase", item, contact).status_code in (403, 404)
    with scopes_disabled():
        assert Contact.objects.filter(pk=contact.pk).exists()


def test_another_workspaces_officer_gets_a_404(client, cast):
    item, contact = _request(cast, "restriction")
    make_officer(cast.outsider_membership)
    login(client, cast.outsider, step_up=True)
    assert _post(client, "restrict", item, contact).status_code == 404
    assert not gate.restricted_among(cast.acme.pk, [contact.pk])


def test_the_request_page_shows_the_operators_contact_block_from_the_policies(client, settings):
    settings.PRIVACY_CONTACT = {
        "organisation_ja": "テスト株式会社",
        "organisation_en": "Test KK",
        "desk_ja": "個人情報窓口",
        "desk_en": "Privacy desk",
        "email": "privacy@test.example",
    }
    en = client.get(reverse("dsr_public:request"), HTTP_ACCEPT_LANGUAGE="en").text
    assert "Organisation: Test KK" in en and "privacy@test.example" in en
    ja = client.get(reverse("dsr_public:request"), HTTP_ACCEPT_LANGUAGE="ja").text
    assert "事業者名：テスト株式会社" in ja and "窓口：個人情報窓口" in ja and "Test KK" not in ja


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Make a request about your data"), ("ja", "ご自身のデータについて請求する")],
)
def test_the_privacy_policy_page_links_to_the_request_page(client, language, text):
    page = client.get(reverse("policies:privacy"), HTTP_ACCEPT_LANGUAGE=language).text
    assert reverse("dsr_public:request") in page and text in page
    security = client.get(reverse("policies:security"), HTTP_ACCEPT_LANGUAGE=language).text
    assert reverse("dsr_public:request") not in security


def test_a_correction_is_a_guided_step_recorded_and_audited(client, cast):
    from terabox_crm.audit.models import AuditEvent
    from terabox_crm.dsr.models import PrivacyRequest

    item, contact = _request(cast, "correction")
    with scope(workspace=cast.acme):
        item.details = "My family name is 山本 now."
        item.save(update_fields=["details"])
    make_officer(cast.member_membership)
    login(client, cast.member)
    page = _page(client, item).text
    assert "What the person asked to correct" in page and "My family name is 山本 now." in page
    assert reverse("contacts:detail", args=[contact.pk]) in page
    assert reverse("dsr:correct", args=[item.pk, contact.pk]) in page
    # An empty record is refused and changes nothing.
    assert _post(client, "correct", item, contact, changes="  ").status_code == 302
    assert [h.to_status for h in _history(item)] == ["new"]
    with scope(workspace=cast.acme):
        assert Contact.objects.get(pk=contact.pk).family_name == "山田"  # never overwritten
    assert (
        _post(client, "correct", item, contact, changes="family name 山田 → 山本").status_code
        == 302
    )
    history = _history(item)
    assert history[-1].to_status == "in_progress"
    assert (history[-1].outcome, history[-1].outcome_subject) == ("corrected", contact.pk)
    assert history[-1].note == "family name 山田 → 山本"  # what the officer wrote
    assert f"Corrected for person {contact.pk}: family name 山田 → 山本" in _page(client, item).text
    assert AuditEvent.objects.filter(action="dsr.request.fulfilled").count() == 1
    # Closing it as done needs the outcome.
    closing = client.post(
        reverse("dsr:status", args=[item.pk]),
        {"status": "done", "note": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert closing.status_code == 400 and "what was corrected" in closing.text
    with scope(workspace=cast.acme):
        assert PrivacyRequest.objects.get(pk=item.pk).status == "in_progress"
    closed = client.post(
        reverse("dsr:status", args=[item.pk]),
        {"status": "done", "note": "Family name corrected to 山本."},
    )
    assert closed.status_code == 302
    with scope(workspace=cast.acme):
        done = PrivacyRequest.objects.get(pk=item.pk)
    assert done.status == "done" and done.outcome == "Family name corrected to 山本."
    assert AuditEvent.objects.filter(action="dsr.request.status_changed").count() == 1


def test_a_correction_for_a_person_not_named_by_the_request_is_refused(client, cast):
    item, _contact = _request(cast, "correction")
    other = make_contact(cast.owner_membership, "other@example.jp", family="佐藤")
    make_officer(cast.member_membership)
    login(client, cast.member)
    _post(client, "correct", item, other, changes="family name")
    assert [h.to_status for h in _history(item)] == ["new"]


@pytest.mark.parametrize(
    ("lang", "fulfil", "access", "closed"),
    [
        (
            "en",
            "Carry out the request for each person",
            "The access export below gathers",
            "The request is closed",
        ),
        ("ja", "以下の各本人について請求に対応", "下の開示ファイルに", "この請求は完了しています"),
    ],
)
def test_the_people_card_says_what_to_do_with_them_in_each_state(
    client, cast, lang, fulfil, access, closed
):
    deletion, _contact = _request(cast, "deletion")
    officer = make_officer(cast.member_membership)
    with scopes_disabled():
        cast.member.language = lang
        cast.member.save(update_fields=["language"])
    _login(client, cast.member)
    page = _page(client, deletion, lang).text
    assert fulfil in page and closed not in page
    services.request_set_status(membership=officer, request=deletion, status="in_progress")
    services.request_set_status(membership=officer, request=deletion, status="done", note="n/a")
    page = _page(client, deletion, lang).text
    assert closed in page and fulfil not in page
    # An access request is answered by its export, not from this card.
    access_request, _contact = _request(cast, "access", address="jiro@example.jp")
    page = _page(client, access_request, lang).text
    assert access in page and fulfil not in page and closed not in page


def test_an_outcome_reads_in_the_readers_language_whoever_recorded_it(client, cast):
    """An officer working in English withdraws a consent; a colleague
    working in Japanese reads the history in Japanese, the purpose under its
    Japanese name. The entry keeps codes and ids, not one language's words."""
    item, contact = _request(cast, "withdrawal")
    officer = make_officer(cast.member_membership)
    grant(officer, contact, "communication")
    login(client, cast.member)
    withdrawn = _post(client, "withdraw", item, contact, purposes=["communication"])  # in English
    assert withdrawn.status_code == 302
    english = _page(client, item).text
    assert (
        f"Consent withdrawn for person {contact.pk}: "
        "Business and customer-service communication." in english
    )
    with scopes_disabled():
        cast.member.language = "ja"
        cast.member.save(update_fields=["language"])
    japanese = _page(client, item, lang="ja").text
    assert f"本人 {contact.pk} の同意を撤回しました：業務上の連絡・顧客対応。" in japanese
    assert "Consent withdrawn" not in japanese
