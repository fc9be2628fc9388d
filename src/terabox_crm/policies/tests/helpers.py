"""Versions for tests: published and in force now (which the service would
refuse, since a new version needs notice), or published ahead."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from terabox_crm.policies import selectors
from terabox_crm.policies.initial import text
from terabox_crm.policies.models import PolicyVersion


def version(kind="privacy", *, number=2, effective_in=timedelta(days=40), **fields):
    now = timezone.now()
    defaults = {
        "body_ja": text(f"{kind}-v1.ja.md") + f"\n第{number}版で追加された一文です。\n",
        "body_en": text(f"{kind}-v1.en.md") + f"\nA sentence added in version {number}.\n",
        "summary_ja": f"第{number}版の変更点",
        "summary_en": f"What version {number} changes",
        "published_at": now - timedelta(days=60),
    }
    defaults.update(fields)
    created = PolicyVersion.objects.create(
        kind=kind, number=number, effective_at=now + effective_in, **defaults
    )
    selectors.forget_cached()
    return created


def in_force(kind="privacy", *, number=2, **fields):
    return version(kind, number=number, effective_in=-timedelta(days=1), **fields)
