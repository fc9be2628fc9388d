"""Erasing a person destroys the access export prepared for them (P8)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.dsr import export as export_file
from terabox_crm.dsr import services
from terabox_crm.dsr.models import AccessExport, Submission
from terabox_crm.dsr.tests.helpers import make_contact, make_officer
from terabox_crm.erasure import services as erasure_services
from terabox_crm.erasure.registry import erasers

pytestmark = pytest.mark.django_db


def test_erasing_the_person_destroys_their_ready_access_export(
    cast, django_capture_on_commit_callbacks
):
    contact = make_contact(cast.owner_membership, "hanako@example.jp")
    with scopes_disabled():
        submission = Submission.objects.create(
            kind="access",
            email="hanako@example.jp",
            email_index="x",
            language="en",
            verified_at=timezone.now(),
        )
    (item,) = services.submission_route(submission.pk)
    officer = make_officer(cast.member_membership)
    with django_capture_on_commit_callbacks(execute=True):
        services.export_request(membership=officer, request=item)
    with scopes_disabled():
        export = AccessExport.objects.get()
    assert export.state == "ready" and export_file.path_of(export.pk).exists()
    assert "dsr" in [eraser.label for eraser in erasers()]  # found in dsr/erasure.py

    with scope(workspace=cast.acme):
        erasure_services.subject_erase(
            membership=officer, subject_id=contact.pk, reason="Deletion request"
        )
    with scopes_disabled():
        export.refresh_from_db()
    assert export.state == "expired" and export.token_hash == ""
    assert not export_file.path_of(export.pk).exists()
