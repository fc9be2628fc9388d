"""Small helpers shared by core's tests."""

from __future__ import annotations

from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.core.models import Invitation, Membership, Workspace


def events(action: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("chain", "seq"))


def core_state() -> dict:
    """Every row core owns (and queued emails), to prove a refusal changed nothing."""
    with scopes_disabled():
        return {
            "workspaces": list(Workspace.objects.order_by("pk").values()),
            "memberships": list(Membership.objects.order_by("pk").values()),
            "invitations": list(Invitation.objects.order_by("pk").values()),
            "outbox": list(OutboxEmail.objects.order_by("pk").values_list("pk", flat=True)),
        }


def role_of(membership: Membership) -> str:
    with scopes_disabled():
        return Membership.objects.get(pk=membership.pk).role


def ended(membership: Membership) -> Membership:
    """``membership`` after it has ended (the member left or was removed): the
    object a caller may still hold, its row gone."""
    with scopes_disabled():
        Membership.objects.filter(pk=membership.pk).delete()
    return membership


def membership_exists(membership: Membership) -> bool:
    with scopes_disabled():
        return Membership.objects.filter(pk=membership.pk).exists()
