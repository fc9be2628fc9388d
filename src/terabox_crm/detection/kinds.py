"""The kinds of detection event (S7): audit names, labels and severity.

Every kind is an audit event type under ``security.detection.`` (so the
security-events page, its API and the one-year retention of security events
apply). ``HIGH`` kinds email the workspace's admins in a rate-limited digest
(``securitydash.alerts``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PREFIX = "security.detection."


@dataclass(frozen=True)
class Kind:
    name: str
    label: object
    severity: str  # "high" or "medium"

    @property
    def action(self) -> str:
        return PREFIX + self.name


CREDENTIAL_STUFFING = Kind(
    "credential_stuffing",
    _("Credential stuffing: many accounts failing to sign in from one network"),
    "high",
)
ACCOUNT_MANY_IPS = Kind(
    "account_many_ips", _("One account failing to sign in from many addresses"), "high"
)
MASS_READ = Kind("mass_read", _("A member read or exported more than 5,000 contacts"), "high")
READ_BURST = Kind("read_burst", _("A member read far more contacts than usual"), "medium")
DENIAL_BURST = Kind("denial_burst", _("Many refused accesses by one member"), "high")
ADDRESS_BLOCKED = Kind(
    "address_blocked", _("Address blocked for 15 minutes after many refused requests"), "medium"
)

ALL = (CREDENTIAL_STUFFING, ACCOUNT_MANY_IPS, MASS_READ, READ_BURST, DENIAL_BURST, ADDRESS_BLOCKED)
BY_ACTION = {kind.action: kind for kind in ALL}
HIGH = frozenset(kind.action for kind in ALL if kind.severity == "high")
