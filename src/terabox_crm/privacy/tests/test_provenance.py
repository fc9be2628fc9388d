"""Provenance (P4): a contact from a third party needs a consent reference,
and its receipt record is kept — through the service, the page and the API."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.privacy import selectors
from terabox_crm.privacy.models import ThirdPartyReceipt
from terabox_crm.privacy.tests.support import make_contact, member_of
from terabox_crm.testing.auth import login

RECEIPT = {
    "provider": "株式会社パートナー",
    "obtained_how": "展示会での名刺交換",
    "consent_by": "本人",
    "consent_at": "2026-11-20",
    "consent_evidence": "同意書 No. 7",
    "categories": ["identity", "contact"],
}


def test_a_third_party_contact_keeps_its_receipt(cast):
    contact = make_contact(
        member_of(cast.acme, cast.member), source="third_party", receipt=dict(RECEIPT)
    )
    with scope(workspace=cast.acme):
        receipts = list(selectors.receipts_for(cast.acme, [contact.pk]))
    assert len(receipts) == 1 and receipts[0].provider == "株式会社パートナー"


@pytest.mark.parametrize("missing", ["consent_by", "consent_at", "consent_evidence"])
def test_without_a_consent_reference_the_contact_is_refused(cast, missing):
    with pytest.raises(ValidationError) as refused:
        make_contact(
            member_of(cast.acme, cast.member),
            source="third_party",
            receipt={**RECEIPT, missing: ""},
        )
    assert f"receipt_{missing}" in refused.value.message_dict
    with scopes_disabled():
        assert not Contact.objects.exists() and not ThirdPartyReceipt.objects.exists()


def test_a_web_form_source_exists(cast):
    contact = make_contact(member_of(cast.acme, cast.member), source="web_form")
    assert contact.get_source_display() == "ウェブフォーム"


def _form(**extra):
    data = {
        "family_name": "山田",
        "stage": "lead",
        "source": "third_party",
        "emails-TOTAL_FORMS": "0",
        "emails-INITIAL_FORMS": "0",
        "phones-TOTAL_FORMS": "0",
        "phones-INITIAL_FORMS": "0",
        "receipt_provider": "株式会社パートナー",
        "receipt_obtained_how": "展示会",
        "receipt_categories": ["identity"],
    }
    data.update(extra)
    return data


def test_the_contact_form_refuses_a_third_party_without_consent_then_keeps_it(client, cast):
    login(client, cast.member)
    refused = client.post(reverse("contacts:create"), _form())
    assert refused.status_code == 400
    assert "同意の記録" in refused.content.decode()
    with scopes_disabled():
        assert not Contact.objects.exists()
    accepted = client.post(
        reverse("contacts:create"),
        _form(
            receipt_consent_by="本人",
            receipt_consent_at="2026-11-20",
            receipt_consent_evidence="同意書 No. 7",
        ),
    )
    assert accepted.status_code == 302
    with scopes_disabled():
        assert ThirdPartyReceipt.objects.count() == 1


def test_the_api_refuses_a_third_party_without_consent_with_a_problem(client, cast):
    login(client, cast.member)
    body = {
        "family_name": "山田",
        "source": "third_party",
        "receipt": {**RECEIPT, "consent_by": ""},
    }
    refused = client.post("/api/v1/contacts/", body, content_type="application/json")
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "receipt_consent_by" in refused.content.decode()
    body["receipt"] = RECEIPT
    created = client.post("/api/v1/contacts/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    with scopes_disabled():
        assert ThirdPartyReceipt.objects.get().subject_id == Contact.objects.get().pk


def test_changing_the_source_to_a_third_party_needs_the_receipt_too(client, cast):
    contact = make_contact(member_of(cast.acme, cast.member))
    login(client, cast.member)
    url = f"/api/v1/contacts/{contact.pk}/"
    refused = client.patch(url, {"source": "third_party"}, content_type="application/json")
    assert refused.status_code == 400
    with scopes_disabled():
        assert Contact.objects.get().source == "direct"
    accepted = client.patch(
        url, {"source": "third_party", "receipt": RECEIPT}, content_type="application/json"
    )
    assert accepted.status_code == 200, accepted.content
    with scopes_disabled():
        assert ThirdPartyReceipt.objects.get().subject_id == contact.pk
    again = client.patch(url, {"job_title": "部長"}, content_type="application/json")
    assert again.status_code == 200
