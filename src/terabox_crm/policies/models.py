"""Versioned policy documents (P10).

A policy is a sequence of versions per kind (privacy, security). A version is
a draft until it is published; once published it takes effect at
``effective_at`` and replaces the version before it. Versions are
installation-wide: the public pages (/privacy/, /security/, /notices/) speak
for the whole installation, and consent events and acceptances point at the
version that was in force.

The bodies are Markdown written by the operator, not personal data; the §1
data list, the contact block (P11) and the sub-processor register (S10) are
placeholders filled in when the page is rendered, so they never drift.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyVersion(models.Model):
    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("Privacy policy")
        SECURITY = "security", _("Security policy")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("policy"), max_length=16, choices=Kind.choices)
    number = models.PositiveIntegerField(_("version"))
    effective_at = models.DateTimeField(_("takes effect"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    body_ja = models.TextField(_("text (Japanese)"))
    body_en = models.TextField(_("text (English)"))
    summary_ja = models.TextField(_("what changed (Japanese)"), blank=True, default="")
    summary_en = models.TextField(_("what changed (English)"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="policies_version_kind_number"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="policies_version_number_positive"
            ),
        ]
        indexes = [models.Index(fields=["kind", "effective_at"])]

    def __str__(self) -> str:
        return f"{self.kind} policy v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None
