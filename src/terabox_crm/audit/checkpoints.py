"""Signed checkpoints of the audit chains (S5).

A checkpoint is written every ``CHECKPOINT_EVERY`` events by ``record()``, in
the transaction that appends the event, and hourly by
``checkpoint_stale_chains()`` for every chain that grew since its newest
checkpoint — so a rewrite of history is caught within the hour even on a
quiet workspace. Both hold the chain-head lock while they sign, so a
checkpoint always names the newest event of its chain when it is written.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from terabox_crm.audit import signing
from terabox_crm.audit.models import ChainHead, Checkpoint

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 1000


def write_checkpoint(*, chain: str, seq: int, hash: str) -> Checkpoint:
    """Sign ``(chain, seq, hash)`` with the current key and store it.

    The caller holds the lock on the chain head (``SELECT … FOR UPDATE`` on
    PostgreSQL, the IMMEDIATE transaction on SQLite).
    """
    signer = signing.current()
    signing.register_current()
    created_at = timezone.now()
    signature = signer.sign(
        signing.checkpoint_message(
            chain=chain, seq=seq, hash=hash, created_at=created_at, key_id=signer.key_id
        )
    )
    return Checkpoint.objects.create(
        chain=chain,
        seq=seq,
        hash=hash,
        created_at=created_at,
        key_id=signer.key_id,
        signature=signature,
    )


def stale_chains() -> list[str]:
    """Chains with events newer than their newest checkpoint."""
    newest = Checkpoint.objects.filter(chain=OuterRef("chain")).order_by("-seq").values("seq")[:1]
    return list(
        ChainHead.objects.annotate(checkpointed=Coalesce(Subquery(newest), Value(0)))
        .filter(seq__gt=F("checkpointed"))
        .order_by("chain")
        .values_list("chain", flat=True)
    )


def checkpoint_chain(chain: str) -> Checkpoint | None:
    """Checkpoint the head of ``chain`` unless it is checkpointed already."""
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(chain=chain).first()
        if head is None or head.seq == 0:
            return None
        if Checkpoint.objects.filter(chain=chain, seq__gte=head.seq).exists():
            return None
        return write_checkpoint(chain=chain, seq=head.seq, hash=head.hash)


def checkpoint_stale_chains() -> int:
    """The hourly job: one checkpoint per chain that grew; returns how many.

    One short transaction per chain, so a busy chain is locked only for its
    own signature.
    """
    written = 0
    for chain in stale_chains():
        if checkpoint_chain(chain) is not None:
            written += 1
    if written:
        log.info("audit: signed %s checkpoint(s)", written)
    return written
