"""The record of processing (point 10): per purpose, data categories,
retention, recipients and sub-processors; a page and a CSV for privacy
officers and auditors; sources other apps plug in."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm import inventory
from terabox_crm.audit.models import AuditEvent
from terabox_crm.policies import config, processing
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

PAGE = reverse("policies:processing")
CSV = reverse("policies:processing_csv")


@pytest.fixture
def sources():
    saved = dict(processing._sources), list(processing._recipient_sources)
    yield
    processing._sources.clear()
    processing._sources.update(saved[0])
    processing._recipient_sources[:] = saved[1]


def _rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets read it as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize(
    "who,capability,status",
    [
        ("owner", None, 200),
        ("admin", None, 200),
        ("member", None, 403),
        ("viewer", None, 403),
        ("member", "is_privacy_officer", 200),
        ("viewer", "is_auditor", 200),
    ],
)
def test_privacy_officers_auditors_and_admins_see_it(client, cast, who, capability, status):
    if capability:
        membership = getattr(cast, f"{who}_membership")
        setattr(membership, capability, True)
        with scopes_disabled():
            membership.save(update_fields=[capability])
    login(client, getattr(cast, who))
    assert client.get(PAGE).status_code == status
    assert client.get(CSV).status_code == status


def test_the_page_lists_every_purpose_with_its_data_and_retention(client, cast):
    login(client, cast.owner)
    text = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").text
    for purpose in inventory.Purpose:
        assert str(purpose.label) in text
    assert "Contact details (email, phone, address)" in text
    assert "While the CRM record exists" in text
    assert "Members of the workspace" in text
    ja = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ja").text
    assert "処理活動の記録" in ja and "保存期間" in ja


def test_each_categorys_retention_is_said_once_not_once_per_purpose(client, cast):
    """Several purposes use contact details; their retention is one entry of
    the retention section, which each purpose's categories link to, not a
    paragraph repeated in every purpose."""
    login(client, cast.owner)
    text = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").text
    retention = text.split('class="details retention-list"', 1)[1].split("</dl>", 1)[0]
    [entry] = re.findall(
        r'<dt id="(retention-\d+)">Contact details \(email, phone, address\)</dt>', retention
    )
    purposes = text.split('id="retention"', 1)[0]
    assert "While the CRM record exists" not in purposes
    assert f'<a href="#{entry}">Contact details (email, phone, address)</a>' in purposes


def _purpose(text: str, code: str) -> str:
    return text.split(f'data-purpose="{code}"', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize(
    ("language", "consent", "consent_note", "contract", "contract_note", "as_of"),
    [
        (
            "en",
            "Needed",
            "Without a consent recorded for this purpose",
            "Not needed",
            "The lawful basis is “Contract”, not consent.",
            "Acme · as of ",
        ),
        (
            "ja",
            "必要",
            "この利用目的への同意が記録されていない人のデータは",
            "不要",
            "法的根拠は「契約」で、同意ではありません。",
            "Acme・",
        ),
    ],
)
def test_each_purpose_reads_like_a_section_of_a_document(
    client, cast, language, consent, consent_note, contract, contract_note, as_of
):
    """A numbered section per purpose: its name and description, the lawful
    basis in words, whether consent is needed, the categories it uses, its
    recipients; sub-processors and retention said once below; a print rule."""
    login(client, cast.owner)
    text = client.get(PAGE, HTTP_ACCEPT_LANGUAGE=language).text
    assert as_of in text
    support = _purpose(text, "support")
    assert re.search(r'<span class="processing-number">1\.</span>', support)
    assert 'class="processing-description"' in support
    basis = support.split('data-fact="basis">', 1)[1].split("</dd>", 1)[0]
    assert 'class="processing-note"' in basis  # the basis in a sentence
    facts = support.split('data-fact="consent">', 1)[1].split("</dd>", 1)[0]
    assert contract in facts and contract_note in facts
    communication = _purpose(text, "communication")
    facts = communication.split('data-fact="consent">', 1)[1].split("</dd>", 1)[0]
    assert f"<strong>{consent}</strong>" in facts and consent_note in facts
    assert 'data-fact="categories"' in support and 'data-fact="recipients"' in support
    assert 'id="subprocessors"' in text
    css = (Path(__file__).parents[1] / "static/policies/policies.css").read_text()
    assert "@media print" in css and ".processing-record" in css


def test_the_csv_has_one_row_per_purpose_in_the_readers_language_and_is_audited(
    client, cast, settings, tmp_path
):
    register = tmp_path / "sub.json"
    register.write_text(
        json.dumps([{"name": "=HYPERLINK(1)", "service_en": "Email delivery"}]), encoding="utf-8"
    )
    settings.SUBPROCESSORS_FILE = str(register)
    config._register_entries.cache_clear()
    try:
        login(client, cast.owner)
        rows = _rows(client.get(CSV, HTTP_ACCEPT_LANGUAGE="en"))
    finally:
        config._register_entries.cache_clear()
    assert rows[0] == [
        "Purpose",
        "Lawful basis",
        "Data categories",
        "Retention",
        "Recipients",
        "Sub-processors",
    ]
    assert len(rows) == 1 + len(inventory.Purpose)
    security = next(row for row in rows if row[0] == "Security of the service and its users")
    assert "Credentials (hashed or encrypted)" in security[2].split("\n")
    # The privacy engine gives each purpose's lawful basis (P2).
    assert security[1] == "Legitimate interest"
    assert security[5] == "'=HYPERLINK(1) — Email delivery"  # never a formula
    event = AuditEvent.objects.get(action="policies.processing.exported")
    assert event.workspace_id == cast.acme.pk and event.payload["rows"] == len(rows) - 1

    ja = _rows(client.get(CSV, HTTP_ACCEPT_LANGUAGE="ja"))
    assert ja[0][0] == "利用目的"
    assert ja[1][:2] == ["製品・サービスのサポート", "契約"]


def test_purpose_retention_and_recipient_sources_plug_in(client, cast, sources):
    processing.set_purpose_source(
        lambda workspace: [
            processing.PurposeEntry(
                code="communication",
                name=f"Newsletters of {workspace.name}",
                basis="Consent",
                description="Monthly news",
            )
        ]
    )
    processing.set_retention_source(
        lambda workspace: {"contact": ["2 years without activity, then anonymised"]}
    )
    processing.register_recipient_source(
        lambda workspace: [
            processing.RecipientEntry(
                name="Partner KK", purposes=("communication",), third_party=True
            ),
            processing.RecipientEntry(name="Statistician", purposes=("statistics",)),
        ]
    )
    login(client, cast.owner)
    rows = _rows(client.get(CSV, HTTP_ACCEPT_LANGUAGE="en"))
    assert len(rows) == 2
    assert rows[1][:2] == ["Newsletters of Acme", "Consent"]
    assert (
        "Contact details (email, phone, address): 2 years without activity, then anonymised"
        in rows[1][3]
    )
    assert "Partner KK (third party)" in rows[1][4] and "Statistician" not in rows[1][4]


def test_another_workspace_sees_its_own_record(client, cast, sources):
    processing.set_purpose_source(
        lambda workspace: [
            processing.PurposeEntry(code="support", name=f"Support for {workspace.name}")
        ]
    )
    login(client, cast.outsider)
    text = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").text
    assert "Support for Globex" in text and "Support for Acme" not in text
