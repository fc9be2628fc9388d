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
            _("Unknown scope: %(scopes)s. Use read, write or export.")
            % {"scopes": ", ".join(sorted(unknown))},
            code="unknown_scope",
        )
    if not wanted:
        raise ValidationError(_("Choose at least one scope."), code="no_scope")
    return [item for item in Scope.values if item in wanted]


def token_create(
    *,
    membership: Membership,
    name: str,
    scopes,
    days: int = DEFAULT_DAYS,
) -> CreatedToken:
    """A new token for the member ``membership`` in its workspace; the
    plaintext is in the result only."""
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
