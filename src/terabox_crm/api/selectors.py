"""Reads for the API tokens page."""

from __future__ import annotations

from terabox_crm.api.models import ApiToken


def tokens_of(user, workspace):
    """``user``'s tokens in ``workspace``, newest first (inside its scope)."""
    return ApiToken.objects.filter(user=user, workspace=workspace).order_by("-created_at")
