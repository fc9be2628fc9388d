"""Foreign ids for the lists app's URL parameters (see testing/cross_workspace.py)."""

from __future__ import annotations

from django_scopes import scope

from terabox_crm.lists.models import ListView
from terabox_crm.testing.cross_workspace import ForeignId, param


@param("list_view_id")
def foreign_list_view(foreign) -> ForeignId:
    with scope(workspace=foreign.workspace):
        view = ListView.objects.create(
            workspace=foreign.workspace,
            user=foreign.owner,
            list_key="contacts",
            name="Globex secret pipeline view",
            params={"stage": "lead"},
        )
    return ForeignId(view.pk, identifying=("Globex secret pipeline view",))
