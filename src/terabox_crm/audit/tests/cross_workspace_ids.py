"""Foreign ids for the audit app's URL parameters (see testing/cross_workspace.py)."""

from __future__ import annotations

from terabox_crm.audit.tests.conftest import SECURITY_EVENT, record_from
from terabox_crm.testing.cross_workspace import ForeignId, param

FOREIGN_IP = "192.0.2.201"


@param("event_hash")
def foreign_event(foreign) -> ForeignId:
    # A security event, so that both /audit/… and /api/v1/security-events/… could show it.
    event = record_from(
        ip=FOREIGN_IP,
        action=SECURITY_EVENT,
        workspace=foreign.workspace,
        actor=foreign.owner,
        payload={"attempted": "members.manage"},
    )
    return ForeignId(event.hash, identifying=(event.hash, FOREIGN_IP))
