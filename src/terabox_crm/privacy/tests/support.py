"""Test helpers of the privacy engine: contacts made through the contacts
services, the acting memberships, consent recorded through the services."""

from __future__ import annotations

from django_scopes import scope

from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.core.roles import Role
from terabox_crm.privacy import services
from terabox_crm.testing import factories

__all__ = ["grant", "make_contact", "member_of", "privacy_officer", "restrict", "withdraw"]


def privacy_officer(workspace, email="dpo@acme.example", role=Role.MEMBER):
    user = factories.make_user(email)
    factories.add_member(workspace, user, role, is_privacy_officer=True)
    return member_of(workspace, user)


def grant(membership, contact, purpose="communication", **extra):
    with scope(workspace=membership.workspace):
        return services.consent_grant(
            membership=membership,
            subject_id=contact.pk,
            purpose=purpose,
            channel=extra.pop("channel", "web_form"),
            **extra,
        )


def withdraw(membership, contact, purpose="communication", **extra):
    with scope(workspace=membership.workspace):
        return services.consent_withdraw(
            membership=membership,
            subject_id=contact.pk,
            purpose=purpose,
            channel=extra.pop("channel", "email"),
            **extra,
        )


def restrict(membership, contact, reason="本人から利用停止の請求", requested_by="本人"):
    with scope(workspace=membership.workspace):
        return services.restriction_set(
            membership=membership, subject_id=contact.pk, reason=reason, requested_by=requested_by
        )
