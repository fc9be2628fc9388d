"""Foreign ids for the contacts app's URL parameters (see testing/cross_workspace.py)."""

from __future__ import annotations

from django_scopes import scope

from terabox_crm.contacts.models import SavedView
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.testing.cross_workspace import ForeignId, param

FOREIGN_EMAIL = "foreign.person@globex.example"
FOREIGN_COMPANY = "Globex Secret Industries"


@param("contact_id")
def foreign_contact(foreign) -> ForeignId:
    membership = member_of(foreign.workspace, foreign.owner)
    contact = make_contact(membership, family="Foreignperson", given="Zed", emails=[FOREIGN_EMAIL])
    return ForeignId(contact.pk, identifying=("Foreignperson", FOREIGN_EMAIL))


@param("company_id")
def foreign_company(foreign) -> ForeignId:
    membership = member_of(foreign.workspace, foreign.owner)
    company = make_company(membership, name=FOREIGN_COMPANY)
    return ForeignId(company.pk, identifying=(FOREIGN_COMPANY,))


# URLs without ids in their path that take a company's id or name in the query
# string; the walker fills path parameters only, so test_cross_workspace.py
# asks these with the foreign company (made by ``foreign_company``).
QUERY_URLS = {
    "companies:picker": lambda company: {"company_name": FOREIGN_COMPANY},
    "contacts:create": lambda company: {"company": str(company.value)},
}


@param("saved_view_id")
def foreign_saved_view(foreign) -> ForeignId:
    with scope(workspace=foreign.workspace):
        view = SavedView.objects.create(
            workspace=foreign.workspace,
            user=foreign.owner,
            name="Globex hot leads",
            filters={"stage": "lead"},
        )
    return ForeignId(view.pk, identifying=("Globex hot leads",))
