"""The backup archive format: a stream encrypted in chunks, with a MACed
manifest (S11; docs/operations.md "Backups").

Layout of a ``.tbxbak`` file::

    "TBXBAK01"  u32 header length  header (canonical JSON)
    chunk*      u8 flag (1 = final)  u32 length  AES-256-GCM ciphertext+tag
    trailer     manifest + MAC (canonical JSON)  u32 trailer length  "TBXEND01"

* The header names the format, the master key id (``kek_id``), a random
  32-byte salt and the chunk size. Two keys are derived from the master key
  and the salt with HKDF-SHA256 (``keys.archive_keys``): one encrypts, one
  MACs the manifest. The salt makes the key unique per archive, so the
  nonce of chunk *i* is simply *i* (96 bits, big-endian) and never repeats
  under one key. The master key itself is never written anywhere.
* Each chunk's associated data is SHA-256(magic + header) + the chunk index
  (8 bytes) + the final flag: a changed header, a chunk moved, dropped,
  duplicated or cut short, or a final flag flipped, fails authentication.
  A stream that ends without a final chunk is *truncated*.
* The trailer's manifest carries the sizes and SHA-256 of the plaintext and
  of the ciphertext (magic through the last chunk), the files inside with
  their own sizes and SHA-256, the creation time, database engine, app
  version, migration state and master key id; its MAC (HMAC-SHA256 under the
  derived MAC key, over the header hash and the manifest) authenticates it.
  The trailer sits at the end so ``backup list`` reads it without decrypting.

The plaintext is a sequence of entries — ``b"F"``, u16 name length, name,
then data segments (u32 length + bytes) ended by a zero length — closed by
``b"E"``. Entries are written as a stream (``pg_dump`` output never touches
the disk in plaintext) and read back as a stream.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
from collections.abc import Callable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from terabox_crm.core import jsonbody

MAGIC = b"TBXBAK01"
END_MAGIC = b"TBXEND01"
FORMAT = 1
CHUNK_SIZE = 1 << 20  # 1 MiB of plaintext per chunk
MAX_CHUNK = 64 << 20  # a larger declared length is a corrupt archive, not an allocation
MAX_HEADER = 64 << 10
MAX_TRAILER = 4 << 20
SUFFIX = ".tbxbak"

_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")


class ArchiveError(Exception):
    """An archive that cannot be trusted. ``reason`` is one of ``format``
    (not an archive of ours), ``other_key`` (made under another master key),
    ``tampered`` (authentication failed) or ``truncated`` (ends early)."""

    def __init__(self, reason: str, message: str, **facts) -> None:
        super().__init__(message)
        self.reason = reason
        self.facts = facts


def canonical(value: dict) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _aad(header_hash: bytes, index: int, final: bool) -> bytes:
    return header_hash + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def manifest_mac(mac_key: bytes, header_hash: bytes, manifest: dict) -> str:
    return hmac.new(mac_key, header_hash + canonical(manifest), hashlib.sha256).hexdigest()


class ArchiveWriter:
    """Encrypt a plaintext stream into ``out`` chunk by chunk.

    ``keys`` is ``(kek_id, salt, enc_key, mac_key)`` from ``keys.new_archive_keys``.
    Use ``add_file(name, chunks)`` for each entry, then ``finish(manifest)``.
    """

    def __init__(self, out: BinaryIO, *, keys, header: dict, chunk_size: int = CHUNK_SIZE):
        kek_id, salt, enc_key, mac_key = keys
        self.out = out
        self.chunk_size = chunk_size
        self.header = {
            **header,
            "format": FORMAT,
            "kek_id": kek_id,
            "salt": salt.hex(),
            "chunk_size": chunk_size,
            "cipher": "AES-256-GCM",
            "kdf": "HKDF-SHA256",
        }
        header_bytes = canonical(self.header)
        self.header_hash = hashlib.sha256(MAGIC + header_bytes).digest()
        self._aead = AESGCM(enc_key)
        self._mac_key = mac_key
        self._ct_hash = hashlib.sha256()
        self._pt_hash = hashlib.sha256()
        self.ct_size = 0
        self.pt_size = 0
        self.index = 0
        self._buffer = bytearray()
        self.files: list[dict] = []
        self._emit_raw(MAGIC + _U32.pack(len(header_bytes)) + header_bytes)

    def _emit_raw(self, data: bytes) -> None:
        self.out.write(data)
        self._ct_hash.update(data)
        self.ct_size += len(data)

    def _emit_chunk(self, plain: bytes, final: bool) -> None:
        sealed = self._aead.encrypt(
            _nonce(self.index), plain, _aad(self.header_hash, self.index, final)
        )
        self._emit_raw((b"\x01" if final else b"\x00") + _U32.pack(len(sealed)) + sealed)
        self.index += 1

    def _write(self, data: bytes) -> None:
        self._pt_hash.update(data)
        self.pt_size += len(data)
        self._buffer += data
        # Keep at least one byte back so the final chunk is never a lone empty one
        # after a full chunk (any split is valid; this one is predictable).
        while len(self._buffer) > self.chunk_size:
            self._emit_chunk(bytes(self._buffer[: self.chunk_size]), False)
            del self._buffer[: self.chunk_size]

    def add_file(self, name: str, chunks) -> dict:
        """Add an entry from an iterable of byte strings; returns its size and SHA-256."""
        encoded = name.encode()
        self._write(b"F" + _U16.pack(len(encoded)) + encoded)
        digest, size = hashlib.sha256(), 0
        for piece in chunks:
            if not piece:
                continue
            digest.update(piece)
            size += len(piece)
            for start in range(0, len(piece), self.chunk_size):
                part = piece[start : start + self.chunk_size]
                self._write(_U32.pack(len(part)) + part)
        self._write(_U32.pack(0))
        entry = {"name": name, "size": size, "sha256": digest.hexdigest()}
        self.files.append(entry)
        return entry

    def finish(self, manifest: dict) -> dict:
        """Write the final chunk and the MACed trailer; returns the full manifest."""
        self._write(b"E")
        self._emit_chunk(bytes(self._buffer), True)
        self._buffer.clear()
        full = {
            **manifest,
            "format": FORMAT,
            "master_key_id": self.header["kek_id"],
            "files": self.files,
            "chunks": self.index,
            "chunk_size": self.chunk_size,
            "plaintext_size": self.pt_size,
            "plaintext_sha256": self._pt_hash.hexdigest(),
            "ciphertext_size": self.ct_size,
            "ciphertext_sha256": self._ct_hash.hexdigest(),
        }
        trailer = canonical(
            {"manifest": full, "mac": manifest_mac(self._mac_key, self.header_hash, full)}
        )
        self.out.write(trailer + _U32.pack(len(trailer)) + END_MAGIC)
        return full


def _read_exact(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise ArchiveError("truncated", "the archive ends early (truncated)")
    return data


def read_header(handle: BinaryIO) -> tuple[dict, bytes]:
    """``(header, raw header bytes)`` from the start of an archive (not yet authenticated)."""
    magic = handle.read(len(MAGIC))
    if magic != MAGIC:
        if len(magic) < len(MAGIC) and MAGIC.startswith(magic):
            raise ArchiveError("truncated", "the archive ends early (truncated)")
        raise ArchiveError("format", "not a Terabox CRM backup archive")
    (length,) = _U32.unpack(_read_exact(handle, 4))
    if length > MAX_HEADER:
        raise ArchiveError("format", "the archive header is malformed")
    raw = _read_exact(handle, length)
    try:
        header = jsonbody.parse(raw, limit=MAX_HEADER)
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError
        bytes.fromhex(header["salt"])
        int(header["chunk_size"])
        str(header["kek_id"])
    except (ValueError, KeyError, TypeError):
        raise ArchiveError("format", "the archive header is malformed") from None
    return header, raw


def read_trailer(path) -> dict | None:
    """The trailer's manifest read from the end of the file, unauthenticated
    (for ``backup list``); None when the file has no complete trailer."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            if size < len(END_MAGIC) + 4:
                return None
            handle.seek(size - len(END_MAGIC) - 4)
            tail = handle.read(4 + len(END_MAGIC))
            if tail[4:] != END_MAGIC:
                return None
            (length,) = _U32.unpack(tail[:4])
            if length > MAX_TRAILER or length > size:
                return None
            handle.seek(size - len(END_MAGIC) - 4 - length)
            trailer = jsonbody.parse(handle.read(length), limit=MAX_TRAILER)
            return trailer.get("manifest") if isinstance(trailer, dict) else None
    except (OSError, ValueError):
        return None


KeysFor = Callable[[dict], tuple[bytes, bytes]]


class ArchiveReader:
    """Decrypt and authenticate an archive as a stream.

    ``keys_for(header)`` returns ``(enc_key, mac_key)`` or raises
    ``ArchiveError("other_key", …)``. Iterate ``entries()``: each yields
    ``(name, iterator of bytes)``, and the iterator must be consumed before
    the next entry. Nothing read is trusted until ``manifest`` is set, after
    the last entry: a caller commits its work only then.
    """

    def __init__(self, handle: BinaryIO, keys_for: KeysFor) -> None:
        self.handle = handle
        self.header, raw_header = read_header(handle)
        self.header_hash = hashlib.sha256(MAGIC + raw_header).digest()
        enc_key, self._mac_key = keys_for(self.header)
        self._aead = AESGCM(enc_key)
        self._ct_hash = hashlib.sha256(MAGIC + _U32.pack(len(raw_header)) + raw_header)
        self.ct_size = len(MAGIC) + 4 + len(raw_header)
        self._pt_hash = hashlib.sha256()
        self.pt_size = 0
        self.index = 0
        self.final_seen = False
        self._plain = bytearray()
        self.files: list[dict] = []
        self.manifest: dict | None = None

    def _next_chunk(self) -> bool:
        if self.final_seen:
            return False
        head = self.handle.read(5)
        if len(head) < 5:
            raise ArchiveError("truncated", "the archive ends early (truncated)")
        flag, length = head[0], _U32.unpack(head[1:])[0]
        if flag not in (0, 1) or length > MAX_CHUNK or length < 16:
            raise ArchiveError("tampered", f"chunk {self.index} is malformed", chunk=self.index)
        sealed = _read_exact(self.handle, length)
        final = flag == 1
        try:
            plain = self._aead.decrypt(
                _nonce(self.index), sealed, _aad(self.header_hash, self.index, final)
            )
        except InvalidTag:
            raise ArchiveError(
                "tampered",
                f"chunk {self.index} failed authentication (the archive was changed)",
                chunk=self.index,
            ) from None
        self._ct_hash.update(head + sealed)
        self.ct_size += len(head) + len(sealed)
        self._pt_hash.update(plain)
        self.pt_size += len(plain)
        self._plain += plain
        self.index += 1
        self.final_seen = final
        return True

    def _take(self, size: int) -> bytes:
        while len(self._plain) < size:
            if not self._next_chunk():
                raise ArchiveError("tampered", "the archive's content ends early")
        data = bytes(self._plain[:size])
        del self._plain[:size]
        return data

    def entries(self) -> Iterator[tuple[str, Iterator[bytes]]]:
        while True:
            kind = self._take(1)
            if kind == b"E":
                break
            if kind != b"F":
                raise ArchiveError("tampered", "the archive's content is malformed")
            (length,) = _U16.unpack(self._take(2))
            name = self._take(length).decode("utf-8", errors="replace")
            entry = {"name": name, "size": 0, "digest": hashlib.sha256()}
            yield name, self._segments(entry)
            if "done" not in entry:  # the caller skipped the data: consume it
                for _piece in self._segments(entry):
                    pass
        if self._plain or not self.final_seen:
            # Bytes after the end marker, or the end marker before the final chunk.
            raise ArchiveError("tampered", "the archive's content is malformed")
        self._check_trailer()

    def _segments(self, entry: dict) -> Iterator[bytes]:
        if "done" in entry:
            return
        while True:
            (length,) = _U32.unpack(self._take(4))
            if length == 0:
                break
            piece = self._take(length)
            entry["digest"].update(piece)
            entry["size"] += len(piece)
            yield piece
        entry["done"] = True
        self.files.append(
            {"name": entry["name"], "size": entry["size"], "sha256": entry["digest"].hexdigest()}
        )

    def _check_trailer(self) -> None:
        rest = self.handle.read(MAX_TRAILER + 4 + len(END_MAGIC) + 1)
        if len(rest) < 4 + len(END_MAGIC) or rest[-len(END_MAGIC) :] != END_MAGIC:
            raise ArchiveError("truncated", "the archive's manifest is missing (truncated)")
        (length,) = _U32.unpack(rest[-len(END_MAGIC) - 4 : -len(END_MAGIC)])
        if length != len(rest) - 4 - len(END_MAGIC):
            raise ArchiveError("tampered", "the archive's manifest is malformed")
        try:
            trailer = jsonbody.parse(rest[:length], limit=MAX_TRAILER)
            manifest, tag = trailer["manifest"], trailer["mac"]
            if not isinstance(manifest, dict) or not isinstance(tag, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise ArchiveError("tampered", "the archive's manifest is malformed") from None
        expected = manifest_mac(self._mac_key, self.header_hash, manifest)
        if not hmac.compare_digest(expected, tag):
            raise ArchiveError("tampered", "the archive's manifest failed authentication")
        checks = {
            "ciphertext_sha256": self._ct_hash.hexdigest(),
            "ciphertext_size": self.ct_size,
            "plaintext_sha256": self._pt_hash.hexdigest(),
            "plaintext_size": self.pt_size,
            "chunks": self.index,
            "files": self.files,
            "master_key_id": self.header["kek_id"],
        }
        for name, value in checks.items():
            if manifest.get(name) != value:
                raise ArchiveError("tampered", f"the archive's {name} does not match its manifest")
        self.manifest = manifest
