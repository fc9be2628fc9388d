"""Foreign ids for the support app's URL parameters (see testing/cross_workspace.py)."""

from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.cross_workspace import ForeignId, param


@param("ticket_id")
def foreign_ticket(foreign) -> ForeignId:
    ticket = open_ticket(foreign.workspace, foreign.owner, subject="Globex outage details")
    return ForeignId(ticket.pk, identifying=("Globex outage details",))
