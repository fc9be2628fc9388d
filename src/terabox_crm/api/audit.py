"""Audit vocabulary and policy actions of the API app (tokens)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.core import policy
from terabox_crm.core.roles import Role

EVENT_TYPES = {
    "api.token.created": _("API token created"),
    "api.token.revoked": _("API token revoked"),
    "security.api.token.revoked_used": _("A revoked API token was used"),
}


def register_all() -> None:
    for action, label in EVENT_TYPES.items():
        actions.register(action, label)
    # Own tokens only: a token never grants more than its owner's role allows,
    # so every member (viewers included) may hold one.
    policy.register(
        "api.tokens.manage",
        policy.at_least(Role.VIEWER),
        _("Create and revoke one's own API tokens"),
    )
