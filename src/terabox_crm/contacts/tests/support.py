"""Test helpers: contacts and companies made through the services."""

from __future__ import annotations

from django_scopes import scope

from terabox_crm.contacts import services
from terabox_crm.contacts.services import CompanyData, ContactData, EmailIn, PhoneIn
from terabox_crm.core.models import Membership


def member_of(workspace, user) -> Membership:
    with scope(workspace=workspace):
        return Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=user
        )


def make_contact(
    membership,
    *,
    family="山田",
    given="花子",
    family_kana="ヤマダ",
    given_kana="ハナコ",
    emails=(),
    phones=(),
    **extra,
):
    data = ContactData(
        family_name=family,
        given_name=given,
        family_name_kana=family_kana,
        given_name_kana=given_kana,
        emails=[EmailIn(e) for e in emails],
        phones=[PhoneIn(p) for p in phones],
        **extra,
    )
    with scope(workspace=membership.workspace):
        return services.contact_create(membership=membership, data=data)


def make_company(membership, name="株式会社テラボックス", **extra):
    with scope(workspace=membership.workspace):
        return services.company_create(membership=membership, data=CompanyData(name=name, **extra))
