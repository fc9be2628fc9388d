"""The access export file (P9): everything held on a person, as a zip of one
JSON document and one CSV per section, labelled in the requester's language.

The zip is never on disk in plaintext: ``zipfile`` writes into
``SealedWriter``, which encrypts each 64 KiB chunk with AES-256-GCM under the
export's own data key (``crypto.keyring``, scope ``dsr-export:<id>``) before
it reaches the file. Each chunk's associated data binds the export id, the
chunk's position and whether it is the last, so chunks cannot be reordered,
dropped or truncated unnoticed. Expiry deletes the file and destroys the key
(crypto-shredding: a copy of the file in a backup stays unreadable).

Rows come from the collectors as iterators (the database is read in
batches) and the JSON document is written as they arrive. A zip takes one
member at a time, so the CSV lines of one person's sections wait in memory
until the JSON is done: kilobytes to a few megabytes for one person, never a
table.
"""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.http import StreamingHttpResponse
from django.utils import timezone

from terabox_crm import datadir
from terabox_crm.crypto import keyring
from terabox_crm.dsr.registry import Section

CHUNK = 64 * 1024
NONCE = 12
KEY_PURPOSE = "encryption"


class ExportUnreadable(ValueError):
    """The file was altered, truncated, or its key is gone."""


def key_scope(export_id) -> str:
    return f"dsr-export:{export_id}"


def path_of(export_id) -> Path:
    return datadir.private_dir("dsr-exports") / f"{export_id}.zip.sealed"


def _aad(export_id, index: int, last: bool, domain: str = "dsr-export") -> bytes:
    return f"tbx/{domain}/v1\x1f{export_id}\x1f{index}\x1f{int(last)}".encode()


class SealedWriter(io.RawIOBase):
    """A write-only, unseekable stream that seals each chunk as it fills.

    ``domain`` names the kind of file in each chunk's associated data, so a
    file of one kind never opens as another (the guarded exports of the
    exports app use ``"export"``)."""

    def __init__(
        self, handle, key: keyring.LoadedKey, export_id, domain: str = "dsr-export"
    ) -> None:
        self.handle = handle
        self.domain = domain
        self.key = key
        self.export_id = export_id
        self.buffer = bytearray()
        self.index = 0
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:
            self._seal(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = os.urandom(NONCE)
        sealed = self.key.aead.encrypt(
            nonce, chunk, _aad(self.export_id, self.index, last, self.domain)
        )
        self.handle.write(struct.pack(">I", len(sealed)) + nonce + sealed)
        self.index += 1
        self.size += len(chunk)

    def finish(self) -> None:
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()


def open_chunks(
    export_id, key_id: str, *, path: Path | None = None, domain: str = "dsr-export"
) -> Iterator[bytes]:
    """The plaintext, chunk by chunk; ``ExportUnreadable`` when tampered.
    ``path`` and ``domain``: a sealed file of another kind (``SealedWriter``)."""
    try:
        key = keyring.get_key(key_id)
    except keyring.KeyUnavailable:
        raise ExportUnreadable("the export's key is gone") from None
    with (path or path_of(export_id)).open("rb") as handle:
        index, last = 0, False
        while not last:
            head = handle.read(4)
            if len(head) != 4:
                raise ExportUnreadable("the export is truncated")
            (length,) = struct.unpack(">I", head)
            nonce = handle.read(NONCE)
            sealed = handle.read(length)
            if len(sealed) != length:
                raise ExportUnreadable("the export is truncated")
            last = handle.peek(1) == b"" if hasattr(handle, "peek") else False
            try:
                plain = key.aead.decrypt(nonce, sealed, _aad(export_id, index, last, domain))
            except Exception:
                raise ExportUnreadable("the export was altered") from None
            index += 1
            yield plain


def _text(value) -> str:
    if value is None:
        return ""
    return str(value)


# A cell a spreadsheet would run as a formula starts with one of these; the
# CSV files are opened in spreadsheets, so such a cell gets a leading "'"
# (as the guarded exports do, S4). The JSON keeps every value as it is.
FORMULA_FIRST = frozenset(("=", "+", "-", "@", "\t", "\r"))


def cell(value) -> str:
    """``value`` as CSV cell text that no spreadsheet runs as a formula."""
    text = _text(value)
    return "'" + text if text[:1] in FORMULA_FIRST else text


def _csv_line(values) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow([cell(value) for value in values])
    return out.getvalue().encode("utf-8")


def write(export_id, sections: Iterator[Section], *, meta: dict) -> tuple[str, int, int]:
    """Write the sealed zip of ``sections``; returns (key id, plaintext size, rows).

    Call inside ``translation.override(language)``: labels are rendered now.
    Each section's rows are read once, for the JSON member and the CSV lines."""
    key = keyring.create_key(key_scope(export_id), KEY_PURPOSE)
    target = path_of(export_id)
    rows_total = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        writer = SealedWriter(handle, key, export_id)
        with zipfile.ZipFile(writer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            # JSON: sections in order, rows keyed by translated labels.
            # A handle left open would stop the zip from closing if a collector fails.
            with archive.open("export.json", "w", force_zip64=True) as json_parts:
                head = {**meta, "generated_at": timezone.now().isoformat()}
                json_parts.write(
                    json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "sections": ['
                )
                csv_buffers: list[tuple[str, list[bytes]]] = []
                for number, section in enumerate(sections):
                    labels = [_text(label) for _key, label in section.columns]
                    keys = [key_ for key_, _label in section.columns]
                    if number:
                        json_parts.write(b", ")
                    json_parts.write(
                        json.dumps(
                            {"key": section.key, "label": _text(section.label)}, ensure_ascii=False
                        )[:-1].encode()
                        + b', "rows": ['
                    )
                    lines = [b"\xef\xbb\xbf" + _csv_line(labels)]
                    for i, row in enumerate(section.rows):
                        values = [_text(row.get(k)) for k in keys]
                        if i:
                            json_parts.write(b", ")
                        json_parts.write(
                            json.dumps(
                                dict(zip(labels, values, strict=True)), ensure_ascii=False
                            ).encode()
                        )
                        lines.append(_csv_line(values))
                        rows_total += 1
                    json_parts.write(b"]}")
                    csv_buffers.append((f"{number + 1:02d}-{section.key}.csv", lines))
                json_parts.write(b"]}")
            for name, lines in csv_buffers:
                with archive.open(name, "w", force_zip64=True) as member:
                    for line in lines:
                        member.write(line)
        writer.finish()
    return key.key_id, writer.size, rows_total


def destroy(export_id, key_id: str) -> None:
    """Delete the file and destroy its key: the export is gone for good."""
    path_of(export_id).unlink(missing_ok=True)
    if key_id:
        keyring.destroy_key(key_id)


def download_response(item) -> StreamingHttpResponse:
    """The export ``item`` as a zip download, decrypted as it streams and
    never cached (the person's link, an officer's copy, the API)."""
    response = StreamingHttpResponse(
        open_chunks(item.pk, item.key_id), content_type="application/zip"
    )
    response["Content-Disposition"] = f'attachment; filename="personal-data-{item.pk}.zip"'
    response["Cache-Control"] = "no-store"
    return response
