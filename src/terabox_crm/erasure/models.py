"""The erasure ledger (P8, S11): one tombstone per erased person.

A tombstone holds no personal data: the workspace, the person's pseudonymous
id (the contact's random UUID, the id the audit chain already names), the
time, and keyed hashes of the person's normalised emails and phones (HMAC
under the installation's ledger key, ``erasure.keys``). The same entries are
appended to a file in the data dir (``erasure.ledger``), so a restore of an
older database can re-apply them (``erasure.reapply``), and the hashes let a
later create of the same address be flagged (the suppression list).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Tombstone(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    subject_id = models.UUIDField(_("person (pseudonymous id)"))
    erased_at = models.DateTimeField(_("erased"))
    # The data-subject request this erasure fulfils, when there is one (an id).
    request_id = models.CharField(max_length=64, blank=True, default="")
    # Set when the tombstone came back from the ledger file after a restore.
    reapplied_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-erased_at"]
        verbose_name = _("erasure tombstone")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "subject_id"], name="erasure_tombstone_subject"
            )
        ]

    def __str__(self) -> str:
        return f"tombstone {self.subject_id}"


class TombstoneDigest(models.Model):
    """One keyed hash of one of the erased person's identifiers (the suppression list)."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("email")
        PHONE = "phone", _("phone")

    id = models.BigAutoField(primary_key=True)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    tombstone = models.ForeignKey(Tombstone, on_delete=models.CASCADE, related_name="digests")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    digest = models.CharField(max_length=64)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        indexes = [models.Index(fields=["workspace", "digest"], name="erasure_digest_lookup")]

    def __str__(self) -> str:
        return f"{self.kind} digest of {self.tombstone_id}"
