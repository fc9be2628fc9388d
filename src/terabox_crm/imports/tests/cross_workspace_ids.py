"""Foreign ids for the imports' URL parameters (see testing/cross_workspace.py)."""

from django_scopes import scopes_disabled

from terabox_crm.imports.models import Import, Status
from terabox_crm.testing.cross_workspace import ForeignId, param


@param("import_id")
def foreign_import(foreign) -> ForeignId:
    """An import of the other workspace, uploaded by its owner, with its results."""
    with scopes_disabled():
        item = Import.objects.create(
            workspace=foreign.workspace,
            requested_by=foreign.owner,
            resource="contacts",
            file_format="csv",
            file_name="globex-secret-customers.csv",
            headers='["Globex header"]',
            mapping=["family_name"],
            status=Status.CHECKED,
            sha256="e" * 64,
        )
    return ForeignId(item.pk, identifying=("globex-secret-customers", "Globex header", "e" * 64))
