"""The record of processing is fed by the privacy engine (P2, P4): each
purpose of the workspace with its lawful basis, and the third parties of the
provision records once each, under the purposes they received data for."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts import services as contacts
from terabox_crm.core.selectors import membership_in
from terabox_crm.privacy import processing as sources
from terabox_crm.privacy import services as privacy
from terabox_crm.privacy.models import LawfulBasis, ProvisionRecord
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

PAGE = reverse("policies:processing")
CSV = reverse("policies:processing_csv")


def _contact(cast):
    with scope(workspace=cast.acme):
        return contacts.contact_create(
            membership=membership_in(cast.acme, cast.member),
            data=contacts.ContactData(family_name="記録", given_name="太郎"),
        )


def _provide(workspace, recipient, subject, *, purpose, reference):
    return privacy.provision_record(
        workspace=workspace,
        recipient=recipient,
        subject_ids=[subject],
        categories=("identity", "contact"),
        channel="webhook",
        reference=reference,
        purpose=purpose,
    )


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))


def test_the_csv_and_page_show_each_purpose_basis_and_the_third_parties(client, cast):
    person = _contact(cast)
    for _ in range(3):  # many records, one recipient
        _provide(cast.acme, "Partner KK", person.pk, purpose="communication", reference="e1")
    _provide(cast.acme, "Partner KK", person.pk, purpose="support", reference="e2")
    _provide(cast.globex, "Globex Partner", person.pk, purpose="support", reference="e3")
    with scope(workspace=cast.acme):
        privacy.purpose_create(
            membership=membership_in(cast.acme, cast.owner),
            code="events",
            name_ja="セミナーのご案内",
            name_en="Seminar invitations",
            lawful_basis=LawfulBasis.CONSENT,
        )
    login(client, cast.owner)

    rows = {row[0]: row for row in _rows(client.get(CSV, HTTP_ACCEPT_LANGUAGE="en"))[1:]}
    assert rows["Product and service support"][1] == "Contract"
    assert rows["Business and customer-service communication"][1] == "Consent"
    assert rows["Service notices"][1] == "Legitimate interest"
    assert rows["Legal obligations"][1] == "Legal obligation"
    assert rows["Seminar invitations"][1] == "Consent"  # a purpose of the workspace's own
    assert "Partner KK (third party)" in rows["Business and customer-service communication"][4]
    assert "Partner KK (third party)" in rows["Product and service support"][4]
    assert "Partner KK" not in rows["Statistics and improvement"][4]
    assert all("Globex Partner" not in row[4] for row in rows.values())
    assert all(row[4].count("Partner KK") <= 1 for row in rows.values())

    ja = {row[0]: row for row in _rows(client.get(CSV, HTTP_ACCEPT_LANGUAGE="ja"))[1:]}
    assert ja["業務上の連絡・顧客対応"][1] == "同意"
    assert ja["セミナーのご案内"][1] == "同意"

    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").text
    assert "Legitimate interest" in page and "Partner KK (third party)" in page
    assert "Globex Partner" not in page
    page_ja = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ja").text
    assert "正当な利益" in page_ja and "Partner KK" in page_ja


def test_a_record_without_a_purpose_names_its_recipient_under_every_purpose(cast):
    person = _contact(cast)
    _provide(cast.acme, "Old Partner", person.pk, purpose="", reference="e9")
    [entry] = sources.recipients(cast.acme)
    assert entry.name == "Old Partner" and entry.purposes == () and entry.third_party
    with scopes_disabled():
        assert ProvisionRecord.objects.get(reference="e9").purpose == ""
