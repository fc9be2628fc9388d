"""Foreign ids for the API tokens page (see testing/cross_workspace.py)."""

from __future__ import annotations

from terabox_crm.api import services
from terabox_crm.core.selectors import membership_in
from terabox_crm.testing.cross_workspace import ForeignId, param


@param("token_id")
def foreign_token(foreign) -> ForeignId:
    created = services.token_create(
        membership=membership_in(foreign.workspace, foreign.owner),
        name="Globex sync",
        scopes="read",
    )
    return ForeignId(created.token.pk, identifying=("Globex sync", created.token.prefix))
