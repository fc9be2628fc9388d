"""Writes about workspaces, invitations and memberships (S6).

Every service is keyword-only and takes the acting user. It checks the
permission policy itself — views check too, but the API, the CLI and jobs call
the same functions — then changes the database and records its audit event in
one transaction (``@transaction.atomic``).

A refusal raises ``PolicyError`` and changes nothing. Refusals that are
security events (a grant above one's own rank, an attempt on a higher-ranked
member or on the last owner, an expired, revoked or wrong-address invite) are
recorded by ``_refusals_recorded`` (``core.refusals``) *after* the service's transaction has rolled
back, so the attempt is on the audit chain although the change is not.
Callers therefore call services outside any transaction of their own (views
do; ``ATOMIC_REQUESTS`` stays off), or the refusal's record would be rolled
back together with the caller's transaction.

Rank rules, in one place (``core.policy``): a role grants only roles below its
own, owners may also make owners; nobody changes a member at or above their own
rank unless they are an owner; the last owner can never be demoted or removed,
not even by themselves.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from terabox_crm import audit
from terabox_crm.accounts.models import User, email_index_of
from terabox_crm.communications.outbox import queue_email
from terabox_crm.core import policy
from terabox_crm.core.errors import PolicyError
from terabox_crm.core.models import Invitation, Membership, RecordVisibility, Team, Workspace
from terabox_crm.core.refusals import recorded_after_rollback as _refusals_recorded
from terabox_crm.core.roles import Capability, Role
from terabox_crm.core.selectors import invitation_by_token, invitation_state, membership_in
from terabox_crm.crypto import blind_index

NAME_MAX_LENGTH = Workspace._meta.get_field("name").max_length
EMAIL_MAX_LENGTH = 254
DISPLAY_NAME_MAX_LENGTH = 120
DENIED = "security.permission.denied"
INVITE_REFUSED = "security.invitation.refused"
INVALID_REQUEST = "security.request.invalid"


def _refusal(
    message,
    *,
    code: str,
    status: int,
    actor=None,
    workspace=None,
    attempted: str,
    event: str | None = DENIED,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    **payload,
) -> PolicyError:
    """A ``PolicyError`` that, when ``event`` is set, goes on the audit chain."""
    audit_event = None
    if event is not None:
        audit_event = {
            "action": event,
            "actor": actor,
            "workspace": workspace,
            "obj": obj,
            "object_type": object_type,
            "object_id": object_id,
            "payload": {"attempted": attempted, "reason": code, **payload},
        }
    return PolicyError(message, code=code, status=status, audit_event=audit_event)


def _acting_membership(actor, workspace: Workspace, *, attempted: str) -> Membership:
    """The actor's membership in ``workspace``; refused when they are not a member."""
    membership = membership_in(workspace, actor) if actor is not None else None
    if membership is None:
        raise _refusal(
            _("You are not a member of this workspace."),
            code="not_a_member",
            status=404,
            actor=actor,
            workspace=workspace,
            attempted=attempted,
        )
    return membership


def _require(membership: Membership, action: str, obj=None, *, attempted: str) -> None:
    if not policy.can(membership, action, obj):
        raise _refusal(
            _("You do not have permission to do this."),
            code="permission_denied",
            status=403,
            actor=membership.user_id,
            workspace=membership.workspace,
            attempted=attempted,
            permission=action,
        )


def _clean_workspace_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise PolicyError(_("Enter a name for the workspace."), code="name_required", status=400)
    if len(cleaned) > NAME_MAX_LENGTH:
        raise PolicyError(
            _("Use at most %(max)d characters for the name."),
            code="name_too_long",
            status=400,
            params={"max": NAME_MAX_LENGTH},
        )
    return cleaned


def _clean_email(email: str) -> str:
    cleaned = blind_index.normalise_email(email or "")
    if len(cleaned) > EMAIL_MAX_LENGTH:
        raise PolicyError(_("This email address is too long."), code="email_too_long", status=400)
    try:
        validate_email(cleaned)
    except ValidationError:
        raise PolicyError(
            _("Enter a valid email address."), code="email_invalid", status=400
        ) from None
    return cleaned


def _language_or_default(*candidates: str) -> str:
    available = dict(settings.LANGUAGES)
    for candidate in candidates:
        code = (candidate or "").split("-")[0].lower()
        if code in available:
            return code
    return settings.LANGUAGE_CODE


def _lock_owners(workspace: Workspace) -> list:
    """Lock the workspace's owner rows (PostgreSQL; SQLite's IMMEDIATE transaction
    already serialises writers) so two owners demoting each other at the same
    moment cannot leave the workspace without one."""
    with scope(workspace=workspace):
        return list(
            Membership.objects.select_for_update(of=("self",))
            .filter(role=Role.OWNER)
            .values_list("pk", flat=True)
        )


# --- Workspaces ------------------------------------------------------------------------


def _unique_slug_candidates(name: str):
    base = slugify(name)[:48].strip("-") or "workspace"
    yield base
    while True:
        yield f"{base}-{secrets.token_hex(3)}"


@_refusals_recorded
@transaction.atomic
def workspace_create(*, actor: User, name: str) -> Workspace:
    """Create a workspace; ``actor`` becomes its first owner.

    Names need not be unique (two companies may share one); the slug is, so a
    taken slug gets a random suffix. Any signed-in user may create a workspace:
    it is a new tenant, not an action inside one.
    """
    name = _clean_workspace_name(name)
    for slug in _unique_slug_candidates(name):
        if Workspace.objects.filter(slug=slug).exists():
            continue
        workspace = Workspace(name=name, slug=slug)
        try:
            with transaction.atomic():  # a savepoint: a racing creator may take the slug
                workspace.save(force_insert=True)
        except IntegrityError:
            continue
        break
    with scope(workspace=workspace):
        owner = Membership.objects.create(workspace=workspace, user=actor, role=Role.OWNER)
    audit.record(
        "core.workspace.created",
        actor=actor,
        workspace=workspace,
        obj=workspace,
        payload={"slug": workspace.slug, "owner_membership": str(owner.pk)},
    )
    return workspace


@_refusals_recorded
@transaction.atomic
def workspace_update_settings(
    *,
    actor: User,
    workspace: Workspace,
    name: str,
    mfa_required_for_all: bool,
    name_prefix_search: bool | None = None,
) -> Workspace:
    """Rename the workspace, decide whether two-factor is required of everyone
    and whether names are searchable by prefix (typeahead).

    Owners only. Relaxing two-factor (members and viewers may then sign in
    with a password of 15+ characters alone, S14) and turning prefix search
    on (its terms leak much more about names to whoever reads the database,
    docs/decisions/0005-blind-index-leakage.md) are sensitive: the view asks
    for step-up first. Owners, admins, managers, privacy officers and auditors
    keep two-factor whatever this says (``Workspace.requires_mfa_for``).
    Changing prefix search starts the job that builds or deletes the prefix
    terms once the change is committed (``None`` leaves it as it is).
    """
    attempted = "core.workspace.settings"
    membership = _acting_membership(actor, workspace, attempted=attempted)
    _require(membership, "workspace.settings", workspace, attempted=attempted)
    name = _clean_workspace_name(name)
    workspace = Workspace.objects.select_for_update(of=("self",)).get(pk=workspace.pk)
    before = {
        "name": workspace.name,
        "mfa_required_for_all": workspace.mfa_required_for_all,
        "name_prefix_search": workspace.name_prefix_search,
    }
    workspace.name = name
    workspace.mfa_required_for_all = bool(mfa_required_for_all)
    if name_prefix_search is not None:
        workspace.name_prefix_search = bool(name_prefix_search)
    changed = [field for field, value in before.items() if getattr(workspace, field) != value]
    if not changed:
        return workspace
    if "name_prefix_search" in changed:
        workspace.name_prefix_changed_at = timezone.now()
        workspace.name_prefix_progress = {"done": False}
        workspace.save(update_fields=[*changed, "name_prefix_changed_at", "name_prefix_progress"])
        workspace_id = str(workspace.pk)
        transaction.on_commit(lambda: _sync_name_prefixes(workspace_id))
    else:
        workspace.save(update_fields=changed)
    payload: dict = {"changed": changed}
    for field in ("mfa_required_for_all", "name_prefix_search"):
        if field in changed:
            payload[field] = {"before": before[field], "after": getattr(workspace, field)}
    audit.record(
        "core.workspace.settings_changed",
        actor=actor,
        workspace=workspace,
        obj=workspace,
        payload=payload,
    )
    return workspace


def _sync_name_prefixes(workspace_id: str) -> None:
    # The job worker builds (on) or deletes (off) the prefix terms in batches.
    from terabox_crm.crypto import tasks

    tasks.sync_name_prefixes(workspace_id)


# --- Invitations ----------------------------------------------------------------------


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
        raise PolicyError(
            _("This person is already a member of the workspace."),
            code="already_member",
            status=409,
        )


@_refusals_recorded
@transaction.atomic
def member_invite(
    *, actor: User, workspace: Workspace, email: str, role: str, language: str = ""
) -> SentInvitation:
    """Invite ``email`` to ``workspace`` with ``role``; the link expires after
    ``settings.INVITE_VALID_FOR``.

    Only roles the actor may grant (``policy.can_grant_role``). An address that
    already belongs to a member is refused; a pending invitation for the same
    address is replaced (revoked) so only the newest link works. The email goes
    out through the outbox after commit, in ``language`` (default: the
    invitee's own language if they have an account, else the inviter's).
    """
    attempted = "core.member.invite"
    membership = _acting_membership(actor, workspace, attempted=attempted)
    _require(membership, "members.manage", attempted=attempted)
    if role not in Role.values:
        raise _refusal(
            _("Choose one of the offered roles."),
            code="invalid_role",
            status=400,
            event=INVALID_REQUEST,
            actor=actor,
            workspace=workspace,
            attempted=attempted,
        )
    if not policy.can_grant_role(membership, role):
        raise _refusal(
            _("You can only invite people with a role below your own."),
            code="role_above_own",
            status=403,
            actor=actor,
            workspace=workspace,
            attempted=attempted,
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


def _managed_invitation(actor: User, invitation: Invitation, *, attempted: str) -> Membership:
    """Check that ``actor`` may act on ``invitation``: they manage members and
    could have granted its role themselves."""
    membership = _acting_membership(actor, invitation.workspace, attempted=attempted)
    _require(membership, "members.manage", invitation, attempted=attempted)
    if not policy.can_grant_role(membership, invitation.role):
        raise _refusal(
            _("Only someone who may grant this role can change this invitation."),
            code="role_above_own",
            status=403,
            actor=actor,
            workspace=invitation.workspace,
            obj=invitation,
            attempted=attempted,
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
        raise PolicyError(
            _("This invitation has already been accepted or revoked."),
            code="not_pending",
            status=409,
        )
    return locked


@_refusals_recorded
@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    _managed_invitation(actor, invitation, attempted="core.invitation.revoke")
    invitation = _locked_pending(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        "core.invitation.revoked",
        actor=actor,
        workspace=invitation.workspace,
        obj=invitation,
        payload={"role": invitation.role},
    )
    return invitation


@_refusals_recorded
@transaction.atomic
def invitation_resend(*, actor: User, invitation: Invitation) -> SentInvitation:
    """Send a pending (possibly expired) invitation again with a new link and a
    new expiry; the previous link stops working (only one token hash is kept)."""
    _managed_invitation(actor, invitation, attempted="core.invitation.resend")
    invitation = _locked_pending(invitation)
    _refuse_existing_member(invitation.workspace, invitation.email_index)
    token = _issue_token(invitation)
    invitation.save(update_fields=["token_hash", "expires_at"])
    link = _send_invitation_email(invitation, token, inviter=actor)
    audit.record(
        "core.invitation.resent",
        actor=actor,
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


def _usable_invitation(token: str, *, user=None, for_update: bool = False) -> Invitation:
    """The pending, unexpired invitation behind ``token``, or a refusal.

    Refusals are security events: on the invitation's workspace chain when the
    token names one, on the system chain otherwise.
    """
    attempted = "core.invitation.accept"
    invitation = invitation_by_token(token)
    if invitation is None:
        raise _refusal(
            _("This invitation link is not valid. Check that you copied all of it."),
            code="invitation_unknown",
            status=404,
            event=INVITE_REFUSED,
            actor=user,
            attempted=attempted,
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
        raise _refusal(
            message,
            code=code,
            status=410,
            event=INVITE_REFUSED,
            actor=user,
            workspace=invitation.workspace,
            obj=invitation,
            attempted=attempted,
        )
    # The inviter may have been demoted or removed since: an invitation is only
    # as good as its sender's right to grant that role today.
    inviter = (
        membership_in(invitation.workspace, invitation.invited_by_id)
        if (invitation.invited_by_id)
        else None
    )
    if inviter is None or not policy.can_grant_role(inviter, invitation.role):
        raise _refusal(
            _("This invitation is no longer valid. Ask for a new one."),
            code="invitation_inviter_lost_rights",
            status=410,
            event=INVITE_REFUSED,
            actor=user,
            workspace=invitation.workspace,
            obj=invitation,
            attempted=attempted,
        )
    return invitation


@_refusals_recorded
def invitation_check(*, token: str, user: User | None = None) -> Invitation:
    """The invitation behind ``token`` if it can still be accepted; otherwise
    the refusal, recorded as a security event. Changes nothing."""
    return _usable_invitation(token, user=user)


@_refusals_recorded
@transaction.atomic
def invitation_accept(*, user: User, token: str) -> Membership:
    """Join the workspace an invitation is for, with the invited role.

    The signed-in user's email must be the invited one (compared through the
    blind index, never in clear). Expired, revoked and used invitations are
    refused with a message that says which.
    """
    return _accept(user=user, token=token, new_account=False)


def _accept(*, user: User, token: str, new_account: bool) -> Membership:
    invitation = _usable_invitation(token, user=user, for_update=True)
    workspace = invitation.workspace
    if email_index_of(user.email) != invitation.email_index:
        raise _refusal(
            _(
                "This invitation was sent to another email address. Sign in with the "
                "address it was sent to."
            ),
            code="invitation_wrong_email",
            status=403,
            event=INVITE_REFUSED,
            actor=user,
            workspace=workspace,
            obj=invitation,
            attempted="core.invitation.accept",
        )
    if membership_in(workspace, user) is not None:
        raise PolicyError(
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

    The account is created only together with the membership (one
    transaction). The password follows the product's policy for this person:
    12 characters when the workspace requires two-factor of them (they enrol
    right after), 15 when it does not. A ``django.core.exceptions.ValidationError``
    from the password validators is raised as it is.
    """
    invitation = _usable_invitation(token, for_update=True)
    if User.objects.filter(email_index=invitation.email_index).exists():
        raise PolicyError(
            _("An account with this email address already exists. Sign in to accept."),
            code="account_exists",
            status=409,
        )
    display_name = " ".join((display_name or "").split())
    if len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise PolicyError(
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


# --- Memberships ----------------------------------------------------------------------


def _locked_target(membership: Membership) -> Membership:
    with scope(workspace=membership.workspace):
        return (
            Membership.objects.select_for_update(of=("self",))
            .select_related("workspace", "user")
            .get(pk=membership.pk)
        )


def _require_change_rights(actor_membership: Membership, target: Membership, *, attempted: str):
    _require(actor_membership, "members.manage", target, attempted=attempted)
    if not policy.can_change_member(actor_membership, target):
        raise _refusal(
            _("You cannot change a member whose role is the same as or higher than yours."),
            code="member_at_or_above_own",
            status=403,
            actor=actor_membership.user_id,
            workspace=target.workspace,
            obj=target,
            attempted=attempted,
            target_role=target.role,
            own_role=actor_membership.role,
        )


def _refuse_if_last_owner(target: Membership, *, actor, attempted: str) -> None:
    if target.role != Role.OWNER:
        return
    if len(_lock_owners(target.workspace)) <= 1:
        raise _refusal(
            _("The workspace must keep at least one owner. Make someone else an owner first."),
            code="last_owner",
            status=409,
            actor=actor,
            workspace=target.workspace,
            obj=target,
            attempted=attempted,
        )


@_refusals_recorded
@transaction.atomic
def member_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    """Give a member another role (the view asks for step-up first).

    A role grants only roles below its own (owners may also make owners);
    nobody changes a member at or above their own rank unless they are an
    owner; the last owner can never be demoted.
    """
    attempted = "core.member.change_role"
    actor_membership = _acting_membership(actor, membership.workspace, attempted=attempted)
    target = _locked_target(membership)
    if role not in Role.values:
        raise _refusal(
            _("Choose one of the offered roles."),
            code="invalid_role",
            status=400,
            event=INVALID_REQUEST,
            actor=actor,
            workspace=target.workspace,
            obj=target,
            attempted=attempted,
        )
    _require_change_rights(actor_membership, target, attempted=attempted)
    if not policy.can_grant_role(actor_membership, role):
        raise _refusal(
            _("You can only grant roles below your own."),
            code="role_above_own",
            status=403,
            actor=actor,
            workspace=target.workspace,
            obj=target,
            attempted=attempted,
            role=role,
            own_role=actor_membership.role,
        )
    if role == target.role:
        return target
    if role != Role.OWNER:
        _refuse_if_last_owner(target, actor=actor, attempted=attempted)
    before = target.role
    target.role = role
    target.save(update_fields=["role"])
    audit.record(
        "core.member.role_changed",
        actor=actor,
        workspace=target.workspace,
        obj=target,
        payload={"user": str(target.user_id), "before": before, "after": role},
    )
    return target


@_refusals_recorded
@transaction.atomic
def member_set_capabilities(
    *, actor: User, membership: Membership, privacy_officer: bool, auditor: bool
) -> Membership:
    """Give or take the privacy-officer and auditor capabilities (step-up in the view).

    Both make two-factor mandatory for the member (S14), whatever the
    workspace setting.
    """
    attempted = "core.member.set_capabilities"
    actor_membership = _acting_membership(actor, membership.workspace, attempted=attempted)
    target = _locked_target(membership)
    _require_change_rights(actor_membership, target, attempted=attempted)
    wanted = {
        Capability.PRIVACY_OFFICER: ("is_privacy_officer", bool(privacy_officer)),
        Capability.AUDITOR: ("is_auditor", bool(auditor)),
    }
    changes = {}
    for capability, (field, value) in wanted.items():
        if getattr(target, field) == value:
            continue
        if not policy.can_grant_capability(actor_membership, capability):
            raise _refusal(
                _("You cannot grant or take away this capability."),
                code="capability_not_grantable",
                status=403,
                actor=actor,
                workspace=target.workspace,
                obj=target,
                attempted=attempted,
                capability=str(capability),
            )
        changes[field] = {"before": getattr(target, field), "after": value}
        setattr(target, field, value)
    if not changes:
        return target
    target.save(update_fields=list(changes))
    audit.record(
        "core.member.capabilities_changed",
        actor=actor,
        workspace=target.workspace,
        obj=target,
        payload={"user": str(target.user_id), **changes},
    )
    return target


@_refusals_recorded
@transaction.atomic
def member_remove(*, actor: User, membership: Membership) -> None:
    """Remove a member, or leave when ``membership`` is the actor's own.

    Anyone may leave unless they are the last owner. Removing someone else
    needs ``members.manage`` and a rank above theirs (or being an owner); the
    last owner can never be removed. The person's account stays: only their
    access to this workspace ends.
    """
    leaving = membership.user_id == actor.pk
    attempted = "core.member.leave" if leaving else "core.member.remove"
    actor_membership = _acting_membership(actor, membership.workspace, attempted=attempted)
    target = _locked_target(membership)
    if leaving:
        _require(actor_membership, "workspace.leave", target, attempted=attempted)
    else:
        _require_change_rights(actor_membership, target, attempted=attempted)
    _refuse_if_last_owner(target, actor=actor, attempted=attempted)
    event_kwargs = {
        "actor": actor,
        "workspace": target.workspace,
        "object_type": target._meta.label_lower,
        "object_id": str(target.pk),
        "payload": {"user": str(target.user_id), "role": target.role},
    }
    with scope(workspace=target.workspace):
        target.delete()
    audit.record("core.member.left" if leaving else "core.member.removed", **event_kwargs)


# --- Teams and record visibility ------------------------------------------------------
#
# A team groups members; CRM records (contacts, companies, deals, tasks,
# tickets) may belong to one. Members and managers edit the records they own or
# that belong to their team; with ``record_visibility == "team"`` they also read
# only those (``core.records``). Creating, renaming and deleting teams and
# moving members between them need ``teams.manage``; choosing the visibility
# needs ``workspace.record_visibility`` (owners) and, in the view, a step-up.

TEAM_NAME_MAX_LENGTH = Team._meta.get_field("name").max_length
# Every member row of the members page offers every team: a cap keeps that page
# (members x teams options) small.
MAX_TEAMS = 100


def _clean_team_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise PolicyError(_("Enter a name for the team."), code="team_name_required", status=400)
    if len(cleaned) > TEAM_NAME_MAX_LENGTH:
        raise PolicyError(
            _("Use at most %(max)d characters for the name."),
            code="team_name_too_long",
            status=400,
            params={"max": TEAM_NAME_MAX_LENGTH},
        )
    return cleaned


def _team_name_taken() -> PolicyError:
    return PolicyError(
        _("A team with this name already exists in this workspace."),
        code="team_name_taken",
        status=409,
    )


def _lock_workspace(workspace: Workspace) -> Workspace:
    """Lock the workspace row: team creations and renames in one workspace then
    run one after the other, so the name check and the cap hold."""
    return Workspace.objects.select_for_update(of=("self",)).get(pk=workspace.pk)


def _team_unknown(*, actor, workspace, attempted: str, obj=None) -> PolicyError:
    return _refusal(
        _("This team does not exist."),
        code="team_unknown",
        status=404,
        actor=actor,
        workspace=workspace,
        obj=obj,
        attempted=attempted,
    )


def _locked_team(team: Team, *, actor, attempted: str) -> Team:
    """The team, locked, as it is now: a team deleted meanwhile is a 404."""
    with scope(workspace=team.workspace):
        found = (
            Team.objects.select_for_update(of=("self",))
            .select_related("workspace")
            .filter(pk=team.pk)
            .first()
        )
    if found is None:
        raise _team_unknown(actor=actor, workspace=team.workspace, attempted=attempted)
    return found


def _save_team(team: Team, **kwargs) -> None:
    """Save under a savepoint, so that the unique constraint losing a race
    becomes the same translated refusal as the check before it."""
    try:
        with transaction.atomic():
            team.save(**kwargs)
    except IntegrityError:
        raise _team_name_taken() from None


@_refusals_recorded
@transaction.atomic
def team_create(*, actor: User, workspace: Workspace, name: str) -> Team:
    """Create a team. Names are unique in the workspace, compared without case."""
    attempted = "core.team.create"
    membership = _acting_membership(actor, workspace, attempted=attempted)
    _require(membership, "teams.manage", workspace, attempted=attempted)
    name = _clean_team_name(name)
    workspace = _lock_workspace(workspace)
    with scope(workspace=workspace):
        if Team.objects.count() >= MAX_TEAMS:
            raise PolicyError(
                _("A workspace can have at most %(max)d teams."),
                code="too_many_teams",
                status=409,
                params={"max": MAX_TEAMS},
            )
        if Team.objects.filter(name__iexact=name).exists():
            raise _team_name_taken()
        team = Team(workspace=workspace, name=name)
        _save_team(team, force_insert=True)
    audit.record(
        "core.team.created", actor=actor, workspace=workspace, obj=team, payload={"name": name}
    )
    return team


@_refusals_recorded
@transaction.atomic
def team_rename(*, actor: User, team: Team, name: str) -> Team:
    """Give a team another name (unique in the workspace, compared without case)."""
    attempted = "core.team.rename"
    membership = _acting_membership(actor, team.workspace, attempted=attempted)
    _require(membership, "teams.manage", team, attempted=attempted)
    name = _clean_team_name(name)
    _lock_workspace(team.workspace)
    team = _locked_team(team, actor=actor, attempted=attempted)
    with scope(workspace=team.workspace):
        if team.name == name:
            return team
        if Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
            raise _team_name_taken()
        before = team.name
        team.name = name
        _save_team(team, update_fields=["name"])
    audit.record(
        "core.team.renamed",
        actor=actor,
        workspace=team.workspace,
        obj=team,
        payload={"before": before, "after": name},
    )
    return team


@_refusals_recorded
@transaction.atomic
def team_delete(*, actor: User, team: Team) -> int:
    """Delete a team; returns how many members it had.

    What is never deleted: members and records. Every ``team`` foreign key
    (``Membership`` and the CRM records) is ``on_delete=SET_NULL``, so in the
    same transaction the team's members become team-less and its records keep
    their owner and lose their team — one ``UPDATE`` per table, no rows loaded.
    With team visibility, members who read those records only through the team
    stop reading them; owners and admins still read and edit everything.
    """
    attempted = "core.team.delete"
    membership = _acting_membership(actor, team.workspace, attempted=attempted)
    _require(membership, "teams.manage", team, attempted=attempted)
    _lock_workspace(team.workspace)
    team = _locked_team(team, actor=actor, attempted=attempted)
    with scope(workspace=team.workspace):
        members = Membership.objects.filter(team=team).count()
        event_kwargs = {
            "actor": actor,
            "workspace": team.workspace,
            "object_type": team._meta.label_lower,
            "object_id": str(team.pk),
            "payload": {"name": team.name, "members": members},
        }
        team.delete()
    audit.record("core.team.deleted", **event_kwargs)
    return members


@_refusals_recorded
@transaction.atomic
def member_set_team(*, actor: User, membership: Membership, team: Team | None) -> Membership:
    """Put a member into ``team``, or into none (the view asks for step-up first).

    The team must be of the member's workspace; the rank rule of every member
    change applies (``policy.can_assign_team``).
    """
    attempted = "core.member.set_team"
    actor_membership = _acting_membership(actor, membership.workspace, attempted=attempted)
    target = _locked_target(membership)
    _require(actor_membership, "teams.manage", target, attempted=attempted)
    if not policy.can_assign_team(actor_membership, target):
        raise _refusal(
            _("You cannot change a member whose role is the same as or higher than yours."),
            code="member_at_or_above_own",
            status=403,
            actor=actor,
            workspace=target.workspace,
            obj=target,
            attempted=attempted,
            target_role=target.role,
            own_role=actor_membership.role,
        )
    if team is not None:
        # Another workspace's team (its existence is none of the caller's
        # business) or one deleted meanwhile; locked so it cannot go before commit.
        with scope(workspace=target.workspace):
            team = Team.objects.select_for_update(of=("self",)).filter(pk=team.pk).first()
        if team is None:
            raise _team_unknown(
                actor=actor, workspace=target.workspace, attempted=attempted, obj=target
            )
    after = team.pk if team is not None else None
    if target.team_id == after:
        return target
    before = target.team_id
    target.team = team
    target.save(update_fields=["team"])
    audit.record(
        "core.member.team_changed",
        actor=actor,
        workspace=target.workspace,
        obj=target,
        payload={
            "user": str(target.user_id),
            "before": str(before) if before else None,
            "after": str(after) if after else None,
        },
    )
    return target


@_refusals_recorded
@transaction.atomic
def workspace_set_record_visibility(
    *, actor: User, workspace: Workspace, visibility: str
) -> Workspace:
    """Choose who reads CRM records (owners; the view asks for step-up first):
    ``"workspace"`` — every member reads every record; ``"team"`` — below admin,
    members read only the records they own and those of their team."""
    attempted = "core.workspace.record_visibility"
    membership = _acting_membership(actor, workspace, attempted=attempted)
    _require(membership, "workspace.record_visibility", workspace, attempted=attempted)
    if visibility not in RecordVisibility.values:
        raise _refusal(
            _("Choose one of the offered options."),
            code="invalid_visibility",
            status=400,
            event=INVALID_REQUEST,
            actor=actor,
            workspace=workspace,
            attempted=attempted,
        )
    workspace = _lock_workspace(workspace)
    before = workspace.record_visibility
    if before == visibility:
        return workspace
    workspace.record_visibility = visibility
    workspace.save(update_fields=["record_visibility"])
    audit.record(
        "core.workspace.record_visibility_changed",
        actor=actor,
        workspace=workspace,
        obj=workspace,
        payload={"before": before, "after": visibility},
    )
    return workspace


# --- Command line -----------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerCreated:
    workspace: Workspace
    user: User
    new_user: bool


@_refusals_recorded
@transaction.atomic
def owner_create(*, email: str, workspace_name: str, password: str) -> OwnerCreated:
    """Create a workspace and its first owner (``terabox-crm createowner``).

    A new account gets ``password`` after the product's password policy
    (owners always use two-factor: 12+ characters). An existing account is
    attached as owner only when ``password`` is its password, so the command
    cannot be used to take over somebody's account. Recorded on the system
    chain (the account) and on the new workspace's chain (its creation).
    """
    email = _clean_email(email)
    name = _clean_workspace_name(workspace_name)
    user = User.objects.filter(email_index=email_index_of(email)).first()
    new_user = user is None
    if new_user:
        user = User()
        user.set_email(email)
        probe = Workspace(name=name, slug="")
        validate_password(password, password_subject_for(user, probe, Role.OWNER))
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save(force_insert=True)
    elif not user.check_password(password):
        raise PolicyError(
            _(
                "An account with this email address already exists and the password does not "
                "match it."
            ),
            code="password_mismatch",
            status=403,
        )
    elif not user.is_active:
        raise PolicyError(_("This account is disabled."), code="account_disabled", status=403)
    workspace = workspace_create(actor=user, name=name)
    audit.record(
        "core.owner.created",
        actor=user,
        obj=user,
        payload={"workspace": str(workspace.pk), "new_user": new_user},
    )
    return OwnerCreated(workspace=workspace, user=user, new_user=new_user)
