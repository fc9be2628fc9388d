"""A workspace that reads records by team, for the tests of links (S6).

``team_world`` (a fixture of the root ``conftest.py``) turns Acme's record
visibility to ``team`` and gives, beside the shared cast:

* ``hidden``: a company, a contact and a deal owned by the admin, in no team:
  the member may not read them (the owner and the admin may);
* ``mine``: the same three owned by the member, who reads them;
* ``foreign``: the same three in Globex;
* ``pipeline``: Acme's pipeline, for new deals.

Every record is made through the real services. ``refusals_recorded()``
lists the link refusals on the audit chain.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.core.models import RecordVisibility
from terabox_crm.deals.tests.factories import make_deal, make_pipeline

HIDDEN_COMPANY = "Hidden Holdings"
HIDDEN_FAMILY = "Secretname"


@dataclass
class TeamWorld:
    cast: object
    pipeline: object
    hidden: dict
    mine: dict
    foreign: dict

    def unknown(self) -> str:
        """An id that names no record at all."""
        return str(uuid.uuid4())


def _records(membership, pipeline, *, company_name: str, family: str, owner) -> dict:
    company = make_company(membership, name=company_name, owner_id=owner.pk)
    contact = make_contact(membership, family=family, given="Person", owner_id=owner.pk)
    deal = make_deal(membership.workspace, owner, pipeline, name=f"{company_name} deal")
    return {"company": company, "contact": contact, "deal": deal}


@pytest.fixture
def team_world(cast) -> TeamWorld:
    cast.acme.record_visibility = RecordVisibility.TEAM
    cast.acme.save(update_fields=["record_visibility"])
    owner = member_of(cast.acme, cast.owner)
    pipeline = make_pipeline(cast.acme, cast.owner)
    hidden = _records(
        owner, pipeline, company_name=HIDDEN_COMPANY, family=HIDDEN_FAMILY, owner=cast.admin
    )
    mine = _records(
        member_of(cast.acme, cast.member),
        pipeline,
        company_name="Member Co",
        family="Visible",
        owner=cast.member,
    )
    outsider = member_of(cast.globex, cast.outsider)
    foreign = _records(
        outsider,
        make_pipeline(cast.globex, cast.outsider, name="Foreign"),
        company_name="Globex Secret",
        family="Foreigner",
        owner=cast.outsider,
    )
    return TeamWorld(cast=cast, pipeline=pipeline, hidden=hidden, mine=mine, foreign=foreign)


def refusals_recorded(reason: str = "unreadable_link") -> list:
    """The link refusals on the audit chain, oldest first."""

    with scopes_disabled():
        return [
            event
            for event in AuditEvent.objects.filter(action="security.permission.denied").order_by(
                "created_at", "seq"
            )
            if event.payload.get("reason") == reason
        ]
