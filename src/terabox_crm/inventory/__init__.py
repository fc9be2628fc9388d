"""The data inventory (P1): every model field that can hold personal data is
declared once, with its category, the purposes it serves and its retention
rule; every other text field is declared non-personal. A test fails when a
model has a text-like field that is neither, so the inventory (and the policy
page generated from it) cannot drift from the schema.

Apps declare in ``<app>/inventory.py``; the privacy app imports those
modules at start-up and reads the registry (its pages, exports, erasure).
The registry sits below every engine (docs/architecture.md): core, audit,
accounts and the domain apps register here without importing privacy, and it
knows nothing of the CRM's models.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    IDENTITY = "identity", _("Name and identity")
    CONTACT = "contact", _("Contact details (email, phone, address)")
    ACCOUNT = "account", _("Account and sign-in data")
    CREDENTIALS = "credentials", _("Credentials (hashed or encrypted)")
    DEVICE = "device", _("Device and network data (IP address, browser)")
    COMMUNICATION = "communication", _("Messages sent and received")
    ACTIVITY = "activity", _("Records of activity")


class Purpose(models.TextChoices):
    """The four purposes of the privacy policy §2, and the operational ones
    every CRM has (security of the service, legal obligations)."""

    SUPPORT = "support", _("Product and service support")
    COMMUNICATION = "communication", _("Business and customer-service communication")
    NOTICES = "notices", _("Service notices")
    STATISTICS = "statistics", _("Statistics and improvement")
    SECURITY = "security", _("Security of the service and its users")
    LEGAL = "legal", _("Legal obligations")


@dataclass(frozen=True)
class Retention:
    code: str
    label: object
    days: int | None  # None: as long as the account or record exists


RETENTION = {
    "account": Retention("account", _("While the account exists"), None),
    "audit": Retention("audit", _("5 years (audit trail)"), 5 * 365),
    "security": Retention("security", _("1 year (security events)"), 365),
    "session": Retention("session", _("Until the session ends (at most 12 hours)"), 1),
    "delivery": Retention("delivery", _("Until delivered (then blanked)"), 30),
    "invitation": Retention("invitation", _("Until accepted or expired, then 30 days"), 30),
    "notification": Retention("notification", _("90 days once read, 1 year unread"), 365),
    "device": Retention("device", _("While the account exists; unused devices after 1 year"), 365),
    "crm_record": Retention(
        "crm_record", _("While the CRM record exists (until deleted or erased)"), None
    ),
    "third_party_record": Retention(
        "third_party_record",
        _("3 years (records of receiving from and providing to third parties)"),
        3 * 365,
    ),
}


@dataclass(frozen=True)
class PersonalField:
    model: str  # app_label.ModelName
    field: str
    category: str
    purposes: tuple[str, ...]
    retention: str
    encrypted: bool
    note: object = ""


_personal: dict[tuple[str, str], PersonalField] = {}
_non_personal: dict[tuple[str, str], str] = {}


def personal(
    model: str,
    field: str,
    *,
    category: str,
    purposes: tuple[str, ...],
    retention: str,
    encrypted: bool = True,
    note="",
) -> None:
    if retention not in RETENTION:
        raise ValueError(f"unknown retention rule {retention!r} for {model}.{field}")
    for purpose in purposes:
        Purpose(purpose)
    Category(category)
    _personal[(model, field)] = PersonalField(
        model, field, category, tuple(purposes), retention, encrypted, note
    )


def non_personal(model: str, *fields: str, why: str) -> None:
    for field in fields:
        _non_personal[(model, field)] = why


def personal_fields() -> list[PersonalField]:
    return sorted(_personal.values(), key=lambda item: (item.model, item.field))


def is_declared(model: str, field: str) -> bool:
    return (model, field) in _personal or (model, field) in _non_personal
