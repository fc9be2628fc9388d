"""Wrapped data keys. The key-encryption key (KEK) never touches the database:
only data keys wrapped with AES-KW under it are stored here (S3)."""

from __future__ import annotations

import uuid

from django.db import models


class DataKey(models.Model):
    """A data-encryption key (DEK) of one scope, stored wrapped under the KEK.

    ``scope`` is ``"system"`` for data outside any workspace (user accounts)
    or a workspace id. ``purpose`` separates keys that encrypt fields from the
    root that blind-index keys are derived from; ``subject`` scopes hold one
    person's crypto-shredding key.
    """

    class Status(models.TextChoices):
        ACTIVE = "active"
        DECRYPT_ONLY = "decrypt-only"
        DESTROYED = "destroyed"

    class Purpose(models.TextChoices):
        ENCRYPTION = "encryption"
        INDEX = "index"

    key_id = models.CharField(max_length=32, primary_key=True)
    scope = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    wrapped = models.BinaryField(null=True)
    kek_id = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["scope", "purpose", "status"])]

    def __str__(self) -> str:
        return f"{self.key_id} ({self.scope}, {self.purpose}, {self.status})"


class SearchTerm(models.Model):
    """One blind-index term of one tenant row (see crypto/search_index.py)."""

    workspace_id = models.UUIDField()
    domain = models.CharField(max_length=64)
    term = models.BigIntegerField()
    object_id = models.UUIDField()

    class Meta:
        indexes = [
            # ``object_id`` last: a term's entries are in object order, not in
            # the order they were written, so deleting a batch of objects
            # taken in id order (retention, P5) touches a run of neighbouring
            # pages of each shared term (a family name, a company word)
            # instead of one random page per entry, and a search's candidate
            # ids are read from the index alone (docs/performance.md
            # "Retention (P5)").
            models.Index(
                fields=["workspace_id", "domain", "term", "object_id"], name="search_term_lookup"
            ),
            models.Index(fields=["workspace_id", "object_id"], name="search_term_object"),
        ]

    def __str__(self) -> str:
        return f"{self.domain}:{self.term} → {self.object_id}"


class RotationJob(models.Model):
    """One key rotation of one scope and how far its re-encryption has got.

    ``progress`` maps each model label to ``{"cursor": last pk done, "done":
    bool}``, so a rerun or a restarted worker continues after the last
    committed batch instead of starting again (core/rotation.py).
    """

    class State(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scope = models.CharField(max_length=64, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    new_key_id = models.CharField(max_length=32)
    old_key_ids = models.JSONField(default=list)
    progress = models.JSONField(default=dict)
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_skipped = models.PositiveBigIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    # "<model label>:<pk>" of rows whose old ciphertext failed authentication
    # (tampered or moved): left as they are, and they keep their old key alive.
    unreadable = models.JSONField(default=list)
    error = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["scope", "state"])]

    def __str__(self) -> str:
        return f"rotation {self.id} of {self.scope} ({self.state})"
