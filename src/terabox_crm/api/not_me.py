""" "This wasn't me" revokes the account's API tokens (S13, S14).

A session ended is not enough: whoever signed in may have made a personal
access token, which outlives every session and the password. The handler
registered with ``accounts.not_me`` (from ``ApiConfig.ready``) revokes every
token the account holds, in every workspace, in the report's transaction:
one UPDATE, and one ``api.token.revoked`` audit event per token in its
workspace's chain (``reason: not_me``).
"""

from __future__ import annotations

from django_scopes import scopes_disabled

from terabox_crm import audit
from terabox_crm.api.models import ApiToken


def revoke_tokens(report) -> dict:
    """Revoke every live token of ``report.user``; says how many for the page."""
    with scopes_disabled():
        tokens = list(
            ApiToken.objects.filter(user_id=report.user.pk, revoked_at__isnull=True).only(
                "id", "workspace_id", "prefix"
            )
        )
        ApiToken.objects.filter(pk__in=[token.pk for token in tokens]).update(revoked_at=report.at)
    audit.record_many(
        [
            {
                "action": "api.token.revoked",
                "actor": report.user.pk,
                "workspace": token.workspace_id,
                "obj": token,
                "payload": {"reason": "not_me", "via": report.via},
            }
            for token in tokens
        ]
    )
    return {"tokens_revoked": len(tokens)}
