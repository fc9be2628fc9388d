"""The workspace role hierarchy (S6): owner > admin > manager > member > viewer,
plus two capabilities that sit beside the ladder (privacy officer, auditor)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


RANK: dict[str, int] = {
    Role.OWNER: 50,
    Role.ADMIN: 40,
    Role.MANAGER: 30,
    Role.MEMBER: 20,
    Role.VIEWER: 10,
}


class Capability(models.TextChoices):
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")
    AUDITOR = "auditor", _("Auditor")


# Roles for which two-factor can never be relaxed (S14).
MFA_ALWAYS_REQUIRED = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER})


def rank(role: str) -> int:
    return RANK[role]
