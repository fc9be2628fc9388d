"""Personal-data inventory of the erasure ledger (P1, P8)."""

from terabox_crm.inventory import non_personal

non_personal(
    "erasure.Tombstone",
    "subject_id",
    "erased_at",
    "request_id",
    "reapplied_at",
    why="a pseudonymous id and times: the fact that a person was erased, never who",
)
non_personal(
    "erasure.TombstoneDigest",
    "kind",
    "digest",
    why="keyed hashes (HMAC under an installation key) of an erased person's "
    "normalised emails and phones, so the address is recognised, never stored",
)
