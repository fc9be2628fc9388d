"""Foreign ids for the incidents app's URL parameters (see testing/cross_workspace.py)."""

from terabox_crm.incidents.tests.factories import open_incident
from terabox_crm.testing.cross_workspace import ForeignId, param


@param("incident_id")
def foreign_incident(foreign) -> ForeignId:
    incident = open_incident(foreign.workspace, foreign.owner, title="Globex breach of payroll")
    return ForeignId(incident.pk, identifying=("Globex breach of payroll",))
