"""The audit vocabulary of the accounts app, and which chain its events go to.

The chain rule
--------------
An account is not part of any one workspace, but each workspace's audit
trail must show what its members do with their accounts: sign-ins and failed
sign-ins, step-ups, two-factor and password changes (S5, S7). So:

* An event about a known user who belongs to at least one workspace goes to
  the chain of the user's *current* workspace — the one the request has open
  (``request.workspace``), or, before sign-in completes, the one the session
  will open: the workspace they used last (``User.last_workspace_id``), else
  their first membership.
* An event about a user with no membership, or about an email that belongs to
  nobody (a failed sign-in for an unknown email), and IP-level throttling go to
  the system chain (``workspace=None``).

Each event is recorded once, in one chain: the chain of the workspace the
person was working in is where its admins and auditors look for it.
Events never carry the email, an IP or a code in ``payload``; the IP and user
agent travel in the encrypted detail that ``audit.record`` adds itself.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.accounts.selectors import membership_for
from terabox_crm.audit import actions
from terabox_crm.audit.chain import record as audit_record

EVENT_TYPES = {
    "accounts.login.succeeded": _("Signed in"),
    "accounts.logout": _("Signed out"),
    "security.login.failed": _("Sign-in failed"),
    "security.login.throttled": _("Sign-in throttled after repeated failures"),
    "security.login.new_device": _("Signed in from a new device"),
    "accounts.step_up.succeeded": _("Re-authenticated for a sensitive action"),
    "security.step_up.failed": _("Re-authentication failed"),
    "accounts.mfa.enrolled": _("Two-factor authentication turned on"),
    "accounts.mfa.disabled": _("Two-factor authentication turned off"),
    "accounts.mfa.recovery_codes_regenerated": _("New recovery codes generated"),
    "accounts.mfa.recovery_code_used": _("Recovery code used to sign in"),
    "accounts.session.revoked": _("Session ended from the session list"),
    "accounts.sessions.revoked_all": _("Signed out everywhere"),
    "accounts.sessions.revoked_others": _("Signed out everywhere else"),
    "accounts.password.changed": _("Password changed"),
    "accounts.password.reset_requested": _("Password reset link requested"),
    "accounts.password.reset": _("Password reset with an email link"),
    "accounts.email.change_requested": _("Email change requested"),
    "accounts.email.changed": _("Email address changed"),
    "accounts.profile.changed": _("Profile changed"),
    "security.account.reported_not_me": _(
        "Account holder reported activity as not theirs: sessions ended, password reset forced"
    ),
    "security.not_me.refused": _('Forged, expired or used "this wasn\'t me" link refused'),
}


def register_all() -> None:
    for action, label in EVENT_TYPES.items():
        actions.register(action, label)


def workspace_for(user, request=None):
    """The workspace whose chain records events about ``user`` (see the module docstring)."""
    if user is None:
        return None
    workspace = getattr(request, "workspace", None) if request is not None else None
    if workspace is not None and getattr(request, "user", None) == user:
        return workspace

    membership = membership_for(
        user, str(user.last_workspace_id) if user.last_workspace_id else None
    )
    return membership.workspace if membership is not None else None


def record(action: str, *, user=None, request=None, actor="user", **kwargs):
    """``audit.record`` for an event about ``user``, in the chain the rule picks.

    ``actor`` defaults to the user the event is about (sign-in events are the
    user's own doing, or an attempt on their account); pass ``None`` for
    events nobody identifiable caused.
    """

    actor_obj = user if actor == "user" else actor
    kwargs.setdefault("subject_id", getattr(user, "pk", None))
    if user is not None and "obj" not in kwargs and "object_type" not in kwargs:
        kwargs["obj"] = user
    return audit_record(action, actor=actor_obj, workspace=workspace_for(user, request), **kwargs)
