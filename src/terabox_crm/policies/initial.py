"""The first versions of the two policies (P10): the seed's Japanese texts and
their English translation, shipped in ``texts/`` and loaded by a data
migration, so every installation starts with a policy in force."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from zoneinfo import ZoneInfo

# The seed's 施行日 (effective date): 2025-10-17, Japan time.
FIRST_EFFECTIVE_AT = datetime(2025, 10, 17, tzinfo=ZoneInfo("Asia/Tokyo"))

KINDS = ("privacy", "security")


def text(name: str) -> str:
    return files("terabox_crm.policies").joinpath("texts", name).read_text(encoding="utf-8")


def ensure_initial_versions(model) -> int:
    """Create version 1 of each policy unless that kind has one already.
    Idempotent; ``model`` is the (historical, in a migration) PolicyVersion.
    Returns the number of versions created."""
    created = 0
    for kind in KINDS:
        if model.objects.filter(kind=kind).exists():
            continue
        model.objects.create(
            kind=kind,
            number=1,
            effective_at=FIRST_EFFECTIVE_AT,
            published_at=FIRST_EFFECTIVE_AT,
            body_ja=text(f"{kind}-v1.ja.md"),
            body_en=text(f"{kind}-v1.en.md"),
        )
        created += 1
    return created
