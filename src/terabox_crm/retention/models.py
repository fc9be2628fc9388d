"""Retention rules, legal holds and the record of each run (P5).

* ``RetentionRule`` — one per workspace and target the admins changed; a
  target without a row runs with its default (``registry.Target``).
* ``LegalHold`` — a contact that no rule may expire while the hold stands.
* ``RetentionRun`` — what one run did: per target, its cursor (so a crashed
  run resumes after its last committed batch), rows expired, batches, and the
  longest write transaction; the trust centre reads it (SPEC §6).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from terabox_crm.crypto.fields import EncryptedTextField
from terabox_crm.retention.registry import Action

REASON_MAX_LENGTH = 500


class RetentionRule(models.Model):
    class ActionChoice(models.TextChoices):
        DELETE = Action.DELETE, _("Delete")
        ANONYMISE = Action.ANONYMISE, _("Anonymise")
        SHRED = Action.SHRED, _("Shred (destroy the keys)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    target = models.CharField(_("data"), max_length=64)
    days = models.PositiveIntegerField(_("period (days)"))
    action = models.CharField(_("action"), max_length=16, choices=ActionChoice.choices)
    enabled = models.BooleanField(_("enabled"), default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["target"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "target"], name="retention_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.target}: {self.days} days → {self.action}"


class LegalHold(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    subject_id = models.UUIDField()  # the contact's id
    # Why the hold stands (a case, a claim): may name people, so encrypted.
    reason = EncryptedTextField(_("reason"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    since = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-since"]
        indexes = [models.Index(fields=["workspace", "subject_id"], name="legalhold_subject")]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "subject_id"],
                condition=Q(lifted_at__isnull=True),
                name="legalhold_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"legal hold {self.pk}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class RetentionRun(models.Model):
    """One run over every workspace (the daily job or the command).

    Not a tenant row: a run spans the installation. It holds ids, codes and
    counts only; ``progress`` maps ``"<workspace id or '-'>/<target>"`` to
    ``{"cursor", "done", "rows", "batches", "action", "days"}``.

    At most one run is running at a time (a partial unique constraint), and
    the process applying it holds a lease (``holder`` until ``lease_until``),
    renewed by every batch: a second process (the daily job beside
    ``terabox-crm retention run``) finds the lease live and stands aside; a
    lease left by a process that died runs out and the next run resumes.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trigger = models.CharField(max_length=8, default="job")  # job | cli
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    now = models.DateTimeField()  # every cutoff of the run is computed from it
    started_at = models.DateTimeField(default=timezone.now)
    resumed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.JSONField(default=dict)
    rows_total = models.BigIntegerField(default=0)
    batches = models.IntegerField(default=0)
    longest_hold_ms = models.FloatField(default=0.0)
    smallest_batch = models.IntegerField(null=True, blank=True)
    holder = models.CharField(max_length=96, blank=True, default="")  # host:pid:token
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="running"),
                name="retention_one_running_run",
            )
        ]

    def __str__(self) -> str:
        return f"retention run {self.pk} ({self.state})"

    def removed_in(self, workspace_id) -> dict[str, int]:
        """Rows expired per target in one workspace (installation targets under None)."""
        prefix = f"{workspace_id}/" if workspace_id else "-/"
        return {
            key.split("/", 1)[1]: entry.get("rows", 0)
            for key, entry in self.progress.items()
            if key.startswith(prefix)
        }
