"""The privacy pages and the contact page's privacy panel (P2, P4, P7)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.privacy.models import ConsentEvent, Restriction
from terabox_crm.privacy.tests.support import (
    grant,
    make_contact,
    member_of,
    privacy_officer,
    restrict,
)
from terabox_crm.testing.auth import login


def _contact(cast):
    return make_contact(member_of(cast.acme, cast.member))


def test_the_contact_page_shows_the_panel_and_records_a_grant(client, cast):
    contact = _contact(cast)
    login(client, cast.member)
    page = client.get(reverse("contacts:detail", args=[contact.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "同意と利用停止" in body and "製品・サービスのサポート" in body
    url = reverse("privacy:consent_record", args=[contact.pk])
    assert url in body
    response = client.post(
        url,
        {
            "kind": "grant",
            "purpose": "communication",
            "channel": "phone",
            "evidence": "電話で確認",
            "evidence_file": SimpleUploadedFile("c.txt", b"consent", content_type="text/plain"),
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        event = ConsentEvent.objects.get()
    assert event.channel == "phone" and hasattr(event, "file")
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "電話で確認" in page
    download = client.get(reverse("privacy:evidence", args=[event.file.pk]))
    assert download.status_code == 200 and download.content == b"consent"


def test_withdrawing_a_consent_never_given_shows_the_reason(client, cast):
    contact = _contact(cast)
    login(client, cast.member)
    response = client.post(
        reverse("privacy:consent_record", args=[contact.pk]),
        {"kind": "withdraw", "purpose": "communication", "channel": "email"},
    )
    assert response.status_code == 400
    assert "撤回できる同意がありません" in response.content.decode()
    with scopes_disabled():
        assert not ConsentEvent.objects.exists()


def test_restrict_from_the_page_then_the_contact_is_marked_everywhere(client, cast):
    contact = _contact(cast)
    login(client, cast.manager)
    response = client.post(
        reverse("privacy:restrict", args=[contact.pk]),
        {"requested_by": "本人", "reason": "利用停止の請求"},
    )
    assert response.status_code == 302
    detail = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "利用停止中" in detail
    assert reverse("contacts:edit", args=[contact.pk]) not in detail  # read-only
    listing = client.get(reverse("contacts:list")).content.decode()
    assert "利用停止中" in listing
    api = client.get(f"/api/v1/contacts/{contact.pk}/").json()
    assert api["restricted"] is True
    assert client.get("/api/v1/contacts/").json()["results"][0]["restricted"] is True
    patched = client.patch(
        f"/api/v1/contacts/{contact.pk}/", {"job_title": "x"}, content_type="application/json"
    )
    assert patched.status_code == 403
    assert client.get(reverse("contacts:edit", args=[contact.pk])).status_code == 403
    again = client.post(
        reverse("privacy:restrict", args=[contact.pk]),
        {"requested_by": "本人", "reason": "二度目"},
    )
    assert again.status_code == 400
    assert "すでに利用停止中" in again.content.decode()


def test_lifting_needs_a_privacy_officer_and_a_fresh_step_up(client, cast):
    contact = _contact(cast)
    restrict(member_of(cast.acme, cast.manager), contact)
    officer = privacy_officer(cast.acme)
    url = reverse("privacy:lift", args=[contact.pk])
    login(client, cast.manager)
    assert client.get(url).status_code in (403, 404)
    login(client, officer.user)
    stale = client.post(url, {"reason": "解除"})
    assert stale.status_code == 302 and "step-up" in stale["Location"].replace("_", "-")
    with scopes_disabled():
        assert Restriction.objects.get().lifted_at is None
    login(client, officer.user, step_up=True)
    assert client.post(url, {"reason": "解除"}).status_code == 302
    with scopes_disabled():
        assert Restriction.objects.get().lifted_at is not None


def test_auditors_list_third_party_records(client, cast):
    from terabox_crm.privacy import services

    contact = _contact(cast)
    services.provision_record(
        workspace=cast.acme,
        recipient="Partner Inc.",
        subject_ids=[contact.pk],
        categories=["identity"],
        channel="webhook",
    )
    login(client, cast.member)
    assert client.get(reverse("privacy:records")).status_code == 403
    auditor = privacy_officer(cast.acme, email="auditor@acme.example")
    with scopes_disabled():
        auditor.is_privacy_officer, auditor.is_auditor = False, True
        auditor.save(update_fields=["is_privacy_officer", "is_auditor"])
    login(client, auditor.user)
    page = client.get(reverse("privacy:records"))
    assert page.status_code == 200 and "Partner Inc." in page.content.decode()
    assert client.get(reverse("privacy:records") + "?kind=receipts").status_code == 200


def test_admins_add_a_purpose_on_the_page(client, cast):
    login(client, cast.admin)
    response = client.post(
        reverse("privacy:purposes"),
        {
            "code": "seminars",
            "name_ja": "セミナー案内",
            "name_en": "Seminars",
            "lawful_basis": "consent",
        },
    )
    assert response.status_code == 302
    assert "セミナー案内" in client.get(reverse("privacy:purposes")).content.decode()
    login(client, cast.member)
    assert client.post(reverse("privacy:purposes"), {"code": "x"}).status_code in (403, 404)


def test_a_consent_from_the_ledger_shows_in_the_panel_history(client, cast):
    contact = _contact(cast)
    grant(member_of(cast.acme, cast.member), contact, evidence="ウェブで同意")
    login(client, cast.viewer)
    body = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "ウェブで同意" in body
    assert reverse("privacy:consent_record", args=[contact.pk]) not in body


def test_a_deal_page_marks_its_restricted_contact(client, cast):
    from terabox_crm.deals.tests.factories import make_deal, make_pipeline

    contact = _contact(cast)
    pipeline = make_pipeline(cast.acme, cast.owner)
    deal = make_deal(cast.acme, cast.member, pipeline, contact=contact.pk)
    restrict(member_of(cast.acme, cast.manager), contact)
    login(client, cast.member)
    body = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert "利用停止中" in body
