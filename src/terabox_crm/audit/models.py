"""The audit log (S5): an append-only, SHA-256 hash-chained event table.

The chained part of an event holds ids and a small non-personal payload only.
Whatever describes a person (client IP, user agent, before/after values of
personal fields) is stored in ``AuditDetail``, encrypted under the subject's
own key; the chain covers the digest of that ciphertext. Erasure destroys the
subject key (crypto-shredding), the ciphertext stays, and the chain verifies.
"""

from __future__ import annotations

from django.db import models

from terabox_crm.audit.hashing import CanonicalJSONEncoder


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
    payload = models.JSONField(default=dict, blank=True, encoder=CanonicalJSONEncoder)
    detail_digest = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")
        ]
        indexes = [
            models.Index(fields=["chain", "-seq"], name="audit_chain_recent"),
            # A record's own history (the timeline on its page), newest first,
            # without walking the workspace's whole chain.
            models.Index(fields=["chain", "object_id", "-seq"], name="audit_object_recent"),
            # Events are addressed by their hash in URLs: unique, not enumerable.
            models.Index(fields=["hash"], name="audit_event_hash"),
        ]

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


class SigningKey(models.Model):
    """An Ed25519 public key that signs checkpoints; kept after rotation.

    Trust flows from the key the server holds now: its row lists, under its
    own signature (``endorsement``), every older key it vouches for. A key
    inserted into this table by someone without the private key is therefore
    "unknown" to verification (docs/decisions/0001-audit-chain.md).
    """

    key_id = models.CharField(max_length=32, primary_key=True)
    public_key = models.CharField(max_length=64)  # base64 of the raw 32 bytes
    created_at = models.DateTimeField()
    predecessors = models.JSONField(default=list, blank=True)  # [{key_id, public_key}]
    endorsement = models.CharField(max_length=128)  # base64 Ed25519 signature

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"signing key {self.key_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("signing keys are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("signing keys are kept so that old checkpoints still verify")


class Checkpoint(models.Model):
    """A signed statement "chain ``chain`` had ``hash`` at ``seq``" (S5).

    Written every 1,000 events by ``record()`` and hourly for chains that grew
    since their last checkpoint. Rewriting events before a checkpoint — even
    recomputing every hash after them — no longer matches its signed hash.
    """

    chain = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=32)  # no FK: an unknown key is a finding, not an error
    signature = models.CharField(max_length=128)  # base64 Ed25519 signature

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_checkpoint_chain_seq")
        ]

    def __str__(self) -> str:
        return f"checkpoint {self.chain}@{self.seq}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("checkpoints are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("checkpoints are append-only")
