"""Personal-data inventory of the audit app (P1).

The chained event holds ids and a non-personal payload only; whatever
describes a person lives in ``AuditDetail.ciphertext``, encrypted under that
person's subject key, which erasure destroys (crypto-shredding).
"""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

personal(
    "audit.AuditDetail",
    "ciphertext",
    category=Category.DEVICE,
    purposes=(Purpose.SECURITY, Purpose.LEGAL),
    retention="audit",
    note=_(
        "IP address, browser and the before/after values of changed personal fields, "
        "encrypted under the person's own key; erasure destroys the key"
    ),
)
non_personal(
    "audit.AuditDetail",
    "subject",
    "key_id",
    why="pseudonymous key scope (subject:<uuid>) and key id",
)
non_personal(
    "audit.AuditEvent",
    "chain",
    "action",
    "object_type",
    "object_id",
    "request_id",
    "channel",
    "payload",
    "detail_digest",
    "prev_hash",
    "hash",
    why="ids, event names and hashes; record() callers keep personal data out of payload",
)
non_personal("audit.ChainHead", "chain", "hash", why="chain id and hash")
non_personal(
    "audit.SigningKey",
    "key_id",
    "public_key",
    "predecessors",
    "endorsement",
    why="public signing keys and their signatures",
)
non_personal(
    "audit.Checkpoint", "chain", "hash", "key_id", "signature", why="signed chain positions"
)
