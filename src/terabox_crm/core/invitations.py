"""Writes about invitations and their email: invite, revoke, resend, accept, sign up (S6).

Every service is keyword-only. Inviting, revoking and resending take the
acting ``membership`` and check the permission policy through the one guard
(``core.guards``) — views check too, but the API, the CLI and jobs call the
same functions. Checking, accepting and signing up come before any
membership: they take the acting user (``actor``), if any, and the token is
the credential; their refusals are ``security.invitation.refused`` events.
Each changes the database and records its audit event in one transaction
(``@transaction.atomic``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from terabox_crm import audit
from terabox_crm.accounts.models import User, email_index_of
from terabox_crm.communications.outbox import queue_email
from terabox_crm.core import guards, policy
from terabox_crm.core.models import Invitation, Membership, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.core.selectors import invitation_by_token, invitation_state, membership_in
from terabox_crm.crypto import normalise
from terabox_crm.refusals import Refusal, security_event
from terabox_crm.refusals import recorded_after_rollback as _refusals_recorded

INVITE_REFUSED = "security.invitation.refused"

EMAIL_MAX_LENGTH = 254
DISPLAY_NAME_MAX_LENGTH = 120


def _clean_email(email: str) -> str:
    cleaned = normalise.email(email or "", check=False)
    if len(cleaned) > EMAIL_MAX_LENGTH:
        raise Refusal(_("This email address is too long."), code="email_too_long", status=400)
    try:
        validate_email(cleaned)
    except ValidationError:
        raise Refusal(_("Enter a valid email address."), code="email_invalid", status=400) from None
    return cleaned


def _language_or_default(*candidates: str) -> str:
    available = dict(settings.LANGUAGES)
    for candidate in candidates:
        code = (candidate or "").split("-")[0].lower()
        if code in available:
            return code
    return settings.LANGUAGE_CODE


@dataclass(frozen=True)
class SentInvitation:
    """An invitation as just sent. ``token`` exists only here and in the email:
    the database keeps its hash."""

    invitation: Invitation
    token: str
    link: str


def invite_link(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("core:invite_accept", args=[token])


def _issue_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = Invitation.hash_token(token)
    invitation.expires_at = timezone.now() + settings.INVITE_VALID_FOR
    return token


def _send_invitation_email(invitation: Invitation, token: str, *, inviter: User) -> str:
    link = invite_link(token)
    queue_email(
        kind="core/email/invitation",
        to=invitation.email,
        context={
            "workspace_name": invitation.workspace.name,
            "inviter_label": inviter.label,
            # Lazy: rendered in the email's language by the outbox.
            "role_label": Role(invitation.role).label,
            "link": link,
            "expires_at": invitation.expires_at,
        },
        language=invitation.language,
        # The invitee has no account yet: the invitation id is the pseudonymous
        # subject whose key protects the queued email.
        subject_id=invitation.pk,
        workspace_id=invitation.workspace_id,
    )
    return link


def _refuse_existing_member(workspace: Workspace, email_index: str) -> None:
    existing = User.objects.filter(email_index=email_index).first()
    if existing is not None and membership_in(workspace, existing) is not None:
        raise Refusal(
            _("This person is already a member of the workspace."),
            code="already_member",
            status=409,
        )


@_refusals_recorded
@transaction.atomic
def member_invite(
    *, membership: Membership, email: str, role: str, language: str = ""
) -> SentInvitation:
    """Invite ``email`` to the acting member's workspace with ``role``; the
    link expires after ``settings.INVITE_VALID_FOR``.

    Only roles the actor may grant (``policy.can_grant_role``). An address that
    already belongs to a member is refused; a pending invitation for the same
    address is replaced (revoked) so only the newest link works. The email goes
    out through the outbox after commit, in ``language`` (default: the
    invitee's own language if they have an account, else the inviter's).
    """
    attempted = "core.member.invite"
    membership = guards.acting_member(membership, membership.workspace, action=attempted)
    workspace, actor = membership.workspace, membership.user
    guards.require(membership, attempted, permission="members.manage", code="permission_denied")
    if role not in Role.values:
        raise guards.invalid(
            membership,
            attempted,
            message=_("Choose one of the offered roles."),
            code="invalid_role",
        )
    guards.require(
        membership,
        attempted,
        allowed=policy.can_grant_role(membership, role),
        message=_("You can only invite people with a role below your own."),
        code="role_above_own",
        role=role,
        own_role=membership.role,
    )
    email = _clean_email(email)
    index = email_index_of(email)
    _refuse_existing_member(workspace, index)
    existing_user = User.objects.filter(email_index=index).first()
    now = timezone.now()
    with scope(workspace=workspace):
        replaced = list(
            Invitation.objects.select_for_update(of=("self",))
            .filter(email_index=index, accepted_at=None, revoked_at=None)
            .values_list("pk", flat=True)
        )
        if replaced:
            Invitation.objects.filter(pk__in=replaced).update(revoked_at=now)
        invitation = Invitation(
            workspace=workspace,
            email=email,
            email_index=index,
            role=role,
            invited_by=actor,
            language=_language_or_default(
                language,
                existing_user.language if existing_user else "",
                translation.get_language() or "",
            ),
        )
        token = _issue_token(invitation)
        invitation.save(force_insert=True)
    link = _send_invitation_email(invitation, token, inviter=actor)
    audit.record(
        "core.invitation.created",
        actor=actor,
        workspace=workspace,
        obj=invitation,
        payload={
            "role": role,
            "expires_at": invitation.expires_at.isoformat(),
            "replaced": [str(pk) for pk in replaced],
        },
        personal={"email": email},
        subject_id=invitation.pk,
    )
    return SentInvitation(invitation=invitation, token=token, link=link)


def _managed_invitation(
    membership: Membership, invitation: Invitation, *, attempted: str
) -> Membership:
    """The acting membership as it is now, if it may act on ``invitation``: it
    manages members and could have granted the invitation's role itself."""
    membership = guards.acting_member(membership, invitation.workspace, action=attempted)
    guards.require(
        membership, attempted, invitation, permission="members.manage", code="permission_denied"
    )
    guards.require(
        membership,
        attempted,
        invitation,
        allowed=policy.can_grant_role(membership, invitation.role),
        message=_("Only someone who may grant this role can change this invitation."),
        code="role_above_own",
        role=invitation.role,
        own_role=membership.role,
    )
    return membership


def _locked_pending(invitation: Invitation) -> Invitation:
    with scope(workspace=invitation.workspace):
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("workspace")
            .get(pk=invitation.pk)
        )
    if not locked.is_pending:
        raise Refusal(
            _("This invitation has already been accepted or revoked."),
            code="not_pending",
            status=409,
        )
    return locked


@_refusals_recorded
@transaction.atomic
def invitation_revoke(*, membership: Membership, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    membership = _managed_invitation(membership, invitation, attempted="core.invitation.revoke")
    invitation = _locked_pending(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        "core.invitation.revoked",
        actor=membership.user_id,
        workspace=invitation.workspace,
        obj=invitation,
        payload={"role": invitation.role},
    )
    return invitation


@_refusals_recorded
@transaction.atomic
def invitation_resend(*, membership: Membership, invitation: Invitation) -> SentInvitation:
    """Send a pending (possibly expired) invitation again with a new link and a
    new expiry; the previous link stops working (only one token hash is kept)."""
    membership = _managed_invitation(membership, invitation, attempted="core.invitation.resend")
    invitation = _locked_pending(invitation)
    _refuse_existing_member(invitation.workspace, invitation.email_index)
    token = _issue_token(invitation)
    invitation.save(update_fields=["token_hash", "expires_at"])
    link = _send_invitation_email(invitation, token, inviter=membership.user)
    audit.record(
        "core.invitation.resent",
        actor=membership.user_id,
        workspace=invitation.workspace,
        obj=invitation,
        payload={"role": invitation.role, "expires_at": invitation.expires_at.isoformat()},
    )
    return SentInvitation(invitation=invitation, token=token, link=link)


_INVITE_STATE_MESSAGES = {
    "accepted": (_("This invitation has already been used."), "invitation_used"),
    "revoked": (_("This invitation has been withdrawn."), "invitation_revoked"),
    "expired": (
        _("This invitation has expired. Ask the person who invited you to send a new one."),
        "invitation_expired",
    ),
}


def _invitation_refused(message, *, code: str, status: int, actor, invitation=None) -> Refusal:
    """A refused invitation link, carrying its ``security.invitation.refused``
    event: on the invitation's workspace chain when the token names one, on
    the system chain otherwise. Not a permission denial: its own action."""
    return Refusal(
        message,
        code=code,
        status=status,
        action="core.invitation.accept",
        audit_event=security_event(
            INVITE_REFUSED,
            actor=actor,
            workspace=invitation.workspace if invitation is not None else None,
            attempted="core.invitation.accept",
            reason=code,
            obj=invitation,
        ),
    )


def _usable_invitation(token: str, *, actor=None, for_update: bool = False) -> Invitation:
    """The pending, unexpired invitation behind ``token``, or a refusal.

    Refusals are security events: on the invitation's workspace chain when the
    token names one, on the system chain otherwise.
    """
    invitation = invitation_by_token(token)
    if invitation is None:
        raise _invitation_refused(
            _("This invitation link is not valid. Check that you copied all of it."),
            code="invitation_unknown",
            status=404,
            actor=actor,
        )
    if for_update:
        with scope(workspace=invitation.workspace):
            invitation = (
                Invitation.objects.select_for_update(of=("self",))
                .select_related("workspace", "invited_by")
                .get(pk=invitation.pk)
            )
    state = invitation_state(invitation)
    if state != "pending":
        message, code = _INVITE_STATE_MESSAGES[state]
        raise _invitation_refused(
            message, code=code, status=410, actor=actor, invitation=invitation
        )
    # The inviter may have been demoted or removed since: an invitation is only
    # as good as its sender's right to grant that role today.
    inviter = (
        membership_in(invitation.workspace, invitation.invited_by_id)
        if (invitation.invited_by_id)
        else None
    )
    if inviter is None or not policy.can_grant_role(inviter, invitation.role):
        raise _invitation_refused(
            _("This invitation is no longer valid. Ask for a new one."),
            code="invitation_inviter_lost_rights",
            status=410,
            actor=actor,
            invitation=invitation,
        )
    return invitation


@_refusals_recorded
def invitation_check(*, token: str, actor: User | None = None) -> Invitation:
    """The invitation behind ``token`` if it can still be accepted; otherwise
    the refusal, recorded as a security event. Changes nothing.

    Takes the acting user (``actor``, if signed in), not a membership: the
    invitation is for a workspace they are not a member of yet."""
    return _usable_invitation(token, actor=actor)


@_refusals_recorded
@transaction.atomic
def invitation_accept(*, actor: User, token: str) -> Membership:
    """Join the workspace an invitation is for, with the invited role.

    Takes the acting user, not a membership: they become a member here.
    The signed-in user's email must be the invited one (compared through the
    blind index, never in clear). Expired, revoked and used invitations are
    refused with a message that says which.
    """
    return _accept(user=actor, token=token, new_account=False)


def _accept(*, user: User, token: str, new_account: bool) -> Membership:
    invitation = _usable_invitation(token, actor=user, for_update=True)
    workspace = invitation.workspace
    if email_index_of(user.email) != invitation.email_index:
        raise _invitation_refused(
            _(
                "This invitation was sent to another email address. Sign in with the "
                "address it was sent to."
            ),
            code="invitation_wrong_email",
            status=403,
            actor=user,
            invitation=invitation,
        )
    if membership_in(workspace, user) is not None:
        raise Refusal(
            _("You are already a member of this workspace."), code="already_member", status=409
        )
    with scope(workspace=workspace):
        membership = Membership.objects.create(workspace=workspace, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        "core.invitation.accepted",
        actor=user,
        workspace=workspace,
        obj=invitation,
        payload={
            "membership": str(membership.pk),
            "role": membership.role,
            "new_account": new_account,
        },
    )
    return membership


class _PasswordSubject:
    """What the password validators need to know about a person being signed
    up: their own fields, plus whether they will sign in without two-factor
    (then 15 characters, else 12; ``accounts.passwords``) and context words."""

    def __init__(self, user: User, *, without_mfa: bool, context_words: list[str]) -> None:
        self._user = user
        self.password_without_mfa = without_mfa
        self.password_context_words = context_words

    def __getattr__(self, name: str):
        return getattr(self._user, name)


def password_subject_for(user: User, workspace: Workspace, role: str) -> _PasswordSubject:
    """The password rules a person with ``role`` in ``workspace`` must follow."""
    needs_mfa = workspace.requires_mfa_for(Membership(workspace=workspace, role=role))
    words = list(getattr(user, "password_context_words", None) or [])
    words += [word for word in (workspace.name, workspace.slug) if word]
    return _PasswordSubject(user, without_mfa=not needs_mfa, context_words=words)


@_refusals_recorded
@transaction.atomic
def invitation_sign_up(
    *, token: str, display_name: str, password: str, language: str = ""
) -> Membership:
    """Create an account for an invited address and accept the invitation.

    No actor argument: the person has no account yet; the token is the credential.

    The account is created only together with the membership (one
    transaction). The password follows the product's policy for this person:
    12 characters when the workspace requires two-factor of them (they enrol
    right after), 15 when it does not. A ``django.core.exceptions.ValidationError``
    from the password validators is raised as it is.
    """
    invitation = _usable_invitation(token, for_update=True)
    if User.objects.filter(email_index=invitation.email_index).exists():
        raise Refusal(
            _("An account with this email address already exists. Sign in to accept."),
            code="account_exists",
            status=409,
        )
    display_name = " ".join((display_name or "").split())
    if len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise Refusal(
            _("Use at most %(max)d characters for your name."),
            code="display_name_too_long",
            status=400,
            params={"max": DISPLAY_NAME_MAX_LENGTH},
        )
    user = User(
        display_name=display_name,
        language=_language_or_default(language, invitation.language),
    )
    user.set_email(invitation.email)
    validate_password(password, password_subject_for(user, invitation.workspace, invitation.role))
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save(force_insert=True)
    return _accept(user=user, token=token, new_account=True)
