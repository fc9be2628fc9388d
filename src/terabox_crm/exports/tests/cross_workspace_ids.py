"""Foreign ids for the exports' URL parameters (see testing/cross_workspace.py)."""

from django_scopes import scopes_disabled

from terabox_crm.exports.models import Export, Status
from terabox_crm.privacy.models import Purpose
from terabox_crm.testing.cross_workspace import ForeignId, param


@param("guarded_export_id")
def foreign_export(foreign) -> ForeignId:
    """A ready export of the other workspace, asked by its owner."""
    with scopes_disabled():
        item = Export.objects.create(
            workspace=foreign.workspace,
            requested_by=foreign.owner,
            resource="contacts",
            format="csv",
            filters="q=Globex+searched+name",
            purpose=Purpose.objects.get(workspace=foreign.workspace, code="support"),
            status=Status.AWAITING_APPROVAL,
            sha256="f" * 64,
        )
    return ForeignId(
        item.pk, identifying=("Globex searched name", "Globex+searched+name", "f" * 64)
    )
