"""The access export holds what the privacy engine keeps on the person:
consent history, restrictions, third-party receipts and provision records
(P4, P7, P9), with labels in the requester's language."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.dsr import services
from terabox_crm.dsr.models import Submission
from terabox_crm.dsr.tests.helpers import link_in, make_contact, make_officer, messages_to
from terabox_crm.privacy import services as privacy
from terabox_crm.privacy.tests.support import grant, restrict

pytestmark = pytest.mark.django_db


def _export(client, cast, smtp_server, callbacks, contact, language):
    with scopes_disabled():
        submission = Submission.objects.create(
            kind="access",
            email="hanako@example.jp",
            email_index="x",
            language=language,
            verified_at=timezone.now(),
        )
    (item,) = services.submission_route(submission.pk)
    with callbacks(execute=True):
        services.export_request(membership=cast.member_membership, request=item)
    assert smtp_server.event.wait(10)
    token = link_in(messages_to(smtp_server, "hanako@example.jp")[-1], "download")
    response = client.get(reverse("dsr_public:download", args=[token]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    document = json.loads(archive.read("export.json"))
    return {s["key"]: s for s in document["sections"]}, archive.namelist()


def _values(section) -> str:
    return " | ".join(str(v) for row in section["rows"] for v in row.values())


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_access_export_holds_consent_restriction_receipt_and_provision(
    client, cast, smtp_server, django_capture_on_commit_callbacks, language
):
    contact = make_contact(cast.owner_membership, "hanako@example.jp")
    officer = make_officer(cast.member_membership)
    grant(officer, contact, "communication", evidence="展示会で口頭同意")
    restrict(officer, contact, reason="本人から利用停止の請求")
    with scope(workspace=cast.acme):
        privacy.receipt_record(
            membership=officer,
            subject_id=contact.pk,
            provider="株式会社パートナー",
            obtained_how="展示会の名刺交換",
            consent_by="山田花子 本人",
            consent_at="2026-11-01",
            consent_evidence="申込書 No. 42",
            categories=["identity", "contact"],
        )
    privacy.provision_record(
        workspace=cast.acme,
        recipient="Partner Inc.",
        subject_ids=[contact.pk],
        categories=["identity"],
        channel="webhook",
    )
    sections, names = _export(
        client, cast, smtp_server, django_capture_on_commit_callbacks, contact, language
    )
    assert "展示会で口頭同意" in _values(sections["consent_history"])
    assert "本人から利用停止の請求" in _values(sections["restrictions"])
    receipts = _values(sections["third_party_receipts"])
    assert "株式会社パートナー" in receipts and "申込書 No. 42" in receipts
    assert "Partner Inc." in _values(sections["provision_records"])
    assert any(n.endswith("provision_records.csv") for n in names)
    labels = {sections[k]["label"] for k in sections}
    if language == "ja":
        assert "第三者への提供の記録" in labels
    else:
        assert "Your data provided to third parties" in labels
