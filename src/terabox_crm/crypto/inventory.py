"""The key ring stores wrapped keys, never personal data."""

from terabox_crm.inventory import non_personal

non_personal(
    "crypto.DataKey",
    "key_id",
    "scope",
    "purpose",
    "status",
    "wrapped",
    "kek_id",
    why="key metadata and AES-KW wrapped key material",
)
non_personal(
    "crypto.SearchTerm",
    "domain",
    why="field name of a truncated keyed hash; the hash alone matches many rows by design",
)
non_personal(
    "crypto.RotationJob",
    "scope",
    "state",
    "new_key_id",
    "old_key_ids",
    "progress",
    "unreadable",
    "error",
    why="key ids, model labels, row ids and counts; the error holds an exception type only",
)
