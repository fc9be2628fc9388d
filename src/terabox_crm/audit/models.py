"""The audit log (S5): an append-only, SHA-256 hash-chained event table.

The chained part of an event holds ids and a small non-personal payload only.
Whatever describes a person (client IP, user agent, before/after values of
personal fields) is stored in ``AuditDetail``, encrypted under the subject's
own key; the chain covers the digest of that ciphertext. Erasure destroys the
subject key (crypto-shredding), the ciphertext stays, and the chain verifies.
"""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    chain = models.CharField(max_length=64)  # "system" or a workspace id
    seq = models.BigIntegerField()
    created_at = models.DateTimeField()
    workspace_id = models.UUIDField(null=True, blank=True, db_index=True)
    actor_id = models.UUIDField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=16, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    detail_digest = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")
        ]
        indexes = [models.Index(fields=["chain", "-seq"], name="audit_chain_recent")]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit events are append-only")


class AuditDetail(models.Model):
    """The personal side of one event, encrypted under ``subject`` scope's key."""

    event = models.OneToOneField(
        AuditEvent, on_delete=models.DO_NOTHING, primary_key=True, related_name="detail"
    )
    subject = models.CharField(max_length=80, db_index=True)  # "subject:<uuid>"
    key_id = models.CharField(max_length=32)
    ciphertext = models.TextField()

    def __str__(self) -> str:
        return f"detail of {self.event_id}"

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit details are destroyed by shredding their key, not deleted")


class ChainHead(models.Model):
    """The newest ``(seq, hash)`` of each chain; its row lock serialises appends."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"
