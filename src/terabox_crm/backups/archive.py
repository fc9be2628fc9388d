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
* The trailer's manifest carries the size and SHA-256 of the ciphertext
  (magic through the last chunk), the size of the plaintext, the files inside
  with their own sizes and SHA-256, the creation time, database engine, app
  version, migration state and master key id; its MAC (HMAC-SHA256 under the
  derived MAC key, over the header hash and the manifest) authenticates it.
  The trailer sits at the end so ``backup list`` reads it without decrypting.
  (Format 1 also carried a SHA-256 of the whole plaintext stream: a third
  pass over the data that proved nothing the chunks' tags and the files'
  hashes do not. Format 2 drops it; format 1 archives still read, and their
  stream hash is still checked.)

The plaintext is a sequence of entries — ``b"F"``, u16 name length, name,
then data segments (u32 length + bytes) ended by a zero length — closed by
``b"E"``. Entries are written as a stream (``pg_dump`` output never touches
the disk in plaintext) and read back as a stream.

Cost (docs/performance.md "Backup and restore (S11)"): each byte is copied
once into the chunk being filled (a file is read straight into it), sealed
into one reused buffer (``encrypt_into``) and hashed twice — its file's
SHA-256 and the ciphertext's. Reading returns views of each decrypted chunk
rather than copies.
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
FORMAT = 2
FORMATS = (1, 2)  # what this version reads
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
    Use ``add_file(name, source)`` for each entry, then ``finish(manifest)``.
    ``format=1`` writes the old format (for tests of reading it).
    """

    def __init__(
        self,
        out: BinaryIO,
        *,
        keys,
        header: dict,
        chunk_size: int = CHUNK_SIZE,
        format: int = FORMAT,
    ):
        kek_id, salt, enc_key, mac_key = keys
        self.out = out
        self.chunk_size = chunk_size
        self.format = format
        self.header = {
            **header,
            "format": format,
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
        self._pt_hash = hashlib.sha256() if format == 1 else None
        self.ct_size = 0
        self.pt_size = 0
        self.index = 0
        # The chunk being filled, and the one buffer every chunk is sealed into
        # (flag, length, ciphertext, tag): no bytes object per chunk.
        self._plain = bytearray(chunk_size)
        self._fill = 0
        self._sealed = bytearray(5 + chunk_size + 16)
        self.files: list[dict] = []
        self._emit_raw(MAGIC + _U32.pack(len(header_bytes)) + header_bytes)

    def _emit_raw(self, data) -> None:
        self.out.write(data)
        self._ct_hash.update(data)
        self.ct_size += len(data)

    def _seal(self, final: bool) -> None:
        size = self._fill
        sealed = memoryview(self._sealed)[: 5 + size + 16]
        sealed[0] = 1 if final else 0
        _U32.pack_into(sealed, 1, size + 16)
        self._aead.encrypt_into(
            _nonce(self.index),
            memoryview(self._plain)[:size],
            _aad(self.header_hash, self.index, final),
            sealed[5:],
        )
        if self._pt_hash is not None:
            self._pt_hash.update(memoryview(self._plain)[:size])
        self._emit_raw(sealed)
        self.pt_size += size
        self.index += 1
        self._fill = 0

    def _write(self, data) -> None:
        view = memoryview(data).cast("B")
        while view:
            # A full chunk is sealed only when more bytes follow, so the final
            # chunk is never a lone empty one after a full chunk (any split is
            # valid; this one is predictable).
            if self._fill == self.chunk_size:
                self._seal(False)
            take = min(len(view), self.chunk_size - self._fill)
            self._plain[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]

    def _read_segments(self, source, digest) -> int:
        """Read ``source`` (a binary file) straight into the chunk being
        filled, one segment per read: no copy between the file and the cipher."""
        size = 0
        while True:
            if self.chunk_size - self._fill < 5:  # no room for a length and a byte
                self._seal(False)
            at = self._fill + 4
            got = source.readinto(memoryview(self._plain)[at : self.chunk_size])
            if not got:
                return size
            _U32.pack_into(self._plain, self._fill, got)
            digest.update(memoryview(self._plain)[at : at + got])
            self._fill = at + got
            size += got

    def add_file(self, name: str, source) -> dict:
        """Add an entry from a binary file (anything with ``readinto``) or an
        iterable of byte strings; returns its size and SHA-256."""
        encoded = name.encode()
        self._write(b"F" + _U16.pack(len(encoded)) + encoded)
        digest, size = hashlib.sha256(), 0
        if hasattr(source, "readinto"):
            size = self._read_segments(source, digest)
        else:
            for piece in source:
                if not piece:
                    continue
                digest.update(piece)
                size += len(piece)
                view = memoryview(piece).cast("B")
                for start in range(0, len(view), self.chunk_size):
                    part = view[start : start + self.chunk_size]
                    self._write(_U32.pack(len(part)))
                    self._write(part)
        self._write(_U32.pack(0))
        entry = {"name": name, "size": size, "sha256": digest.hexdigest()}
        self.files.append(entry)
        return entry

    def finish(self, manifest: dict) -> dict:
        """Write the final chunk and the MACed trailer; returns the full manifest."""
        self._write(b"E")
        self._seal(True)
        full = {
            **manifest,
            "format": self.format,
            "master_key_id": self.header["kek_id"],
            "files": self.files,
            "chunks": self.index,
            "chunk_size": self.chunk_size,
            "plaintext_size": self.pt_size,
            "ciphertext_size": self.ct_size,
            "ciphertext_sha256": self._ct_hash.hexdigest(),
        }
        if self._pt_hash is not None:
            full["plaintext_sha256"] = self._pt_hash.hexdigest()
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
        if not isinstance(header, dict) or header.get("format") not in FORMATS:
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
    ``(name, iterator of bytes-like pieces)`` — views into the decrypted
    chunks, not copies — and the iterator must be consumed before the next
    entry. Nothing read is trusted until ``manifest`` is set, after the last
    entry: a caller commits its work only then.
    """

    def __init__(self, handle: BinaryIO, keys_for: KeysFor) -> None:
        self.handle = handle
        self.header, raw_header = read_header(handle)
        self.header_hash = hashlib.sha256(MAGIC + raw_header).digest()
        enc_key, self._mac_key = keys_for(self.header)
        self._aead = AESGCM(enc_key)
        self._ct_hash = hashlib.sha256(MAGIC + _U32.pack(len(raw_header)) + raw_header)
        self.ct_size = len(MAGIC) + 4 + len(raw_header)
        # Format 1's hash of the whole plaintext stream (format 2 has none).
        self._pt_hash = hashlib.sha256() if self.header["format"] == 1 else None
        self.pt_size = 0
        self.index = 0
        self.final_seen = False
        self._chunk: bytes = b""  # the decrypted chunk being read, from _pos on
        self._pos = 0
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
        self._ct_hash.update(head)
        self._ct_hash.update(sealed)
        self.ct_size += len(head) + len(sealed)
        if self._pt_hash is not None:
            self._pt_hash.update(plain)
        self.pt_size += len(plain)
        self._chunk, self._pos = plain, 0
        self.index += 1
        self.final_seen = final
        return True

    def _take(self, size: int):
        """The next ``size`` plaintext bytes: a view into the current chunk, or
        (across chunks) a new bytearray."""
        end = self._pos + size
        if end <= len(self._chunk):
            piece = memoryview(self._chunk)[self._pos : end]
            self._pos = end
            return piece
        data = bytearray(memoryview(self._chunk)[self._pos :])
        while len(data) < size:
            if not self._next_chunk():
                raise ArchiveError("tampered", "the archive's content ends early")
            self._pos = min(size - len(data), len(self._chunk))
            data += memoryview(self._chunk)[: self._pos]
        return data

    def entries(self) -> Iterator[tuple[str, Iterator[bytes]]]:
        while True:
            kind = self._take(1)
            if kind == b"E":
                break
            if kind != b"F":
                raise ArchiveError("tampered", "the archive's content is malformed")
            (length,) = _U16.unpack(self._take(2))
            name = bytes(self._take(length)).decode("utf-8", errors="replace")
            entry = {"name": name, "size": 0, "digest": hashlib.sha256()}
            yield name, self._segments(entry)
            if "done" not in entry:  # the caller skipped the data: consume it
                for _piece in self._segments(entry):
                    pass
        if self._pos < len(self._chunk) or not self.final_seen:
            # Bytes after the end marker, or the end marker before the final chunk.
            raise ArchiveError("tampered", "the archive's content is malformed")
        self._check_trailer()

    def _segments(self, entry: dict) -> Iterator:
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
            "format": self.header["format"],
            "plaintext_size": self.pt_size,
            "chunks": self.index,
            "files": self.files,
            "master_key_id": self.header["kek_id"],
        }
        if self._pt_hash is not None:
            checks["plaintext_sha256"] = self._pt_hash.hexdigest()
        for name, value in checks.items():
            if manifest.get(name) != value:
                raise ArchiveError("tampered", f"the archive's {name} does not match its manifest")
        self.manifest = manifest
