"""The transactional outbox: an email is written in the same transaction as
the change that causes it, and delivered afterwards by a job with retries.

Recipient, subject and body are personal data: they are encrypted under the
recipient's subject key while waiting, and blanked once delivered, so the
table keeps only the fact of delivery (kind, time, attempts).
"""

from __future__ import annotations

import uuid

from django.db import models

from terabox_crm.crypto.fields import EncryptedTextField
from terabox_crm.crypto.keyring import SYSTEM_SCOPE


class OutboxEmail(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64)  # template name, e.g. "accounts/new_device"
    subject_id = models.UUIDField(null=True, blank=True, db_index=True)  # the person it is about
    workspace_id = models.UUIDField(null=True, blank=True)
    to = EncryptedTextField(blank=True, default="")
    subject = EncryptedTextField(blank=True, default="")
    body_text = EncryptedTextField(blank=True, default="")
    body_html = EncryptedTextField(blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    def encryption_scope(self) -> str:
        return f"subject:{self.subject_id}" if self.subject_id else SYSTEM_SCOPE
