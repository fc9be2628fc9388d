"""Foreign ids for the privacy app's URL parameters (see testing/cross_workspace.py)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from terabox_crm.privacy.tests.support import grant, make_contact, member_of
from terabox_crm.testing.cross_workspace import ForeignId, param

FOREIGN_EVIDENCE = b"Foreign signed consent of Zed"


@param("evidence_id")
def foreign_evidence(foreign) -> ForeignId:
    membership = member_of(foreign.workspace, foreign.owner)
    contact = make_contact(membership, family="Foreignconsent", given="Zed")
    event = grant(
        membership,
        contact,
        evidence="Foreign evidence text",
        evidence_file=SimpleUploadedFile("f.txt", FOREIGN_EVIDENCE, content_type="text/plain"),
    )
    return ForeignId(event.file.pk, identifying=("Foreign signed consent", "Foreign evidence text"))
