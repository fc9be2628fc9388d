"""Writes for API tokens: create (the secret is returned once), revoke.

Both validate, save and append their audit event in one transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from terabox_crm import audit
from terabox_crm.api.models import ApiToken, Scope
from terabox_crm.core import policy
from terabox_crm.core.models import Membership

TOKEN_PREFIX = "tbx_"  # noqa: S105 - a public marker, not a secret  # nosec B105
DEFAULT_DAYS = 90
MAX_DAYS = 365
NAME_MAX = 100


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def parse_scopes(value) -> list[str]:
    """``"read,write"`` or a list → the known scopes in canonical order; bad → ValidationError."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    wanted = {item.strip().lower() for item in items if item and item.strip()}
    unknown = wanted - set(Scope.values)
    if unknown:
        raise ValidationError(
            _("Unknown scope: %(scopes)s. Use read, write, export or privacy.")
            % {"scopes": ", ".join(sorted(unknown))},
            code="unknown_scope",
        )
    if not wanted:
        raise ValidationError(_("Choose at least one scope."), code="no_scope")
    return [item for item in Scope.values if item in wanted]


# Who may put the ``privacy`` scope on a token: whoever may erase (privacy
# officers, ``privacy.erase``), since the scope is what an erasure asks of a token.
PRIVACY_SCOPE_ACTION = "privacy.erase"


def _check_privacy_scope(membership: Membership, *, stepped_up: bool) -> None:
    """The ``privacy`` scope (P8, S4): privacy officers only, after a fresh step-up."""
    if not policy.can(membership, PRIVACY_SCOPE_ACTION):
        raise ValidationError(
            _("Only a privacy officer can give a token the privacy scope."),
            code="privacy_scope_denied",
        )
    if not stepped_up:
        raise ValidationError(
            _(
                "A token with the privacy scope is created on the API tokens page, right "
                "after confirming it is you (password and two-factor code)."
            ),
            code="privacy_scope_needs_step_up",
        )


def token_create(
    *,
    membership: Membership,
    name: str,
    scopes,
    days: int = DEFAULT_DAYS,
    stepped_up: bool = False,
) -> CreatedToken:
    """A new token for the member ``membership`` in its workspace; the
    plaintext is in the result only. ``stepped_up`` says the caller checked a
    fresh step-up (S4): the ``privacy`` scope needs it, and a privacy officer."""
    actor, workspace = membership.user, membership.workspace
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the token a name."), code="name_required")
    if len(name) > NAME_MAX:
        raise ValidationError(
            _("The name is too long (at most %(max)d characters).") % {"max": NAME_MAX},
            code="name_too_long",
        )
    scope_list = parse_scopes(scopes)
    if Scope.PRIVACY.value in scope_list:
        _check_privacy_scope(membership, stepped_up=stepped_up)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError(
            _("The lifetime must be a number of days."), code="bad_days"
        ) from None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(
            _("A token lives between 1 and %(max)d days.") % {"max": MAX_DAYS}, code="bad_days"
        )
    body = secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")
    secret = TOKEN_PREFIX + body
    with transaction.atomic(), scope(workspace=workspace):
        token = ApiToken.objects.create(
            workspace=workspace,
            user=actor,
            name=name,
            prefix=secret[: len(TOKEN_PREFIX) + 8],
            token_hash=ApiToken.hash_secret(secret),
            scopes=scope_list,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit.record(
            "api.token.created",
            actor=actor,
            workspace=workspace,
            obj=token,
            payload={"scopes": scope_list, "days": days},
        )
    return CreatedToken(token, secret)


def token_revoke(*, membership: Membership, token: ApiToken) -> ApiToken:
    """Revoke ``token`` (its owner only). Revoking twice changes nothing."""
    actor = membership.user
    if token.user_id != actor.pk:
        raise ValidationError(_("You can revoke only your own tokens."), code="not_owner")
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("api.token.revoked", actor=actor, workspace=token.workspace_id, obj=token)
    return token
