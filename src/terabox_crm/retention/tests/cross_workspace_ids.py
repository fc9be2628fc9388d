"""Foreign ids for the retention app's URL parameters (see testing/cross_workspace.py)."""

from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.retention import services
from terabox_crm.testing.cross_workspace import ForeignId, param


@param("hold_id")
def foreign_hold(foreign) -> ForeignId:
    membership = member_of(foreign.workspace, foreign.owner)
    contact = make_contact(membership, family="保全対象", given="他社")
    hold = services.hold_set(
        membership=membership, subject_id=contact.pk, reason="Globex litigation 42"
    )
    return ForeignId(hold.pk, identifying=("Globex litigation 42", "保全対象"))
