"""Blind indexes: keyed hashes of normalised values for exact-match search (S3).

The index key of a scope is derived with HKDF from that scope's index root,
one subkey per field (``domain``). ``full`` (256-bit) values are only for
uniqueness constraints such as a sign-in email; searchable CRM fields are
truncated per the CipherSweet rule so one value does not single out a person.
"""

from __future__ import annotations

import hmac

from terabox_crm.crypto import keyring

_subkeys: dict[tuple[str, str], bytes] = {}


def _subkey(scope: str, domain: str) -> bytes:
    root = keyring.active_key(scope, "index")
    cache_key = (root.key_id, domain)
    subkey = _subkeys.get(cache_key)
    if subkey is None:
        subkey = keyring.derive(root, f"blind-index:{domain}")
        _subkeys[cache_key] = subkey
    return subkey


def full(value: str, *, scope: str, domain: str) -> str:
    """The 256-bit index of an already normalised value, hex encoded."""
    return hmac.digest(_subkey(scope, domain), value.encode("utf-8"), "sha256").hex()


def truncated(value: str, *, scope: str, domain: str, bits: int) -> int:
    """The index truncated to ``bits`` bits, as an integer column value."""
    # hmac.digest: OpenSSL's one-shot HMAC, the same value as hmac.new(...)
    # at a fraction of the cost (a contact's create computes ~15 of these).
    digest = hmac.digest(_subkey(scope, domain), value.encode("utf-8"), "sha256")
    return int.from_bytes(digest[:8], "big") >> (64 - bits)


def bits_for(expected_rows: int) -> int:
    """Index length L for R expected rows by CipherSweet's rule 2 ≤ R/2^L ≤ √R.

    Picks the largest L that still leaves at least 2 expected coincidences
    per index value (so a value never singles out one person), bounded to
    8…32 bits; with 10⁵ rows that is 15 bits, with 10⁶ 18 bits.
    """
    rows = max(expected_rows, 16)
    best = 8
    for length in range(8, 33):
        coincidences = rows / 2**length
        if 2 <= coincidences <= rows**0.5:
            best = length
    return best
