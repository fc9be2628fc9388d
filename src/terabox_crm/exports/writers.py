"""The export file: CSV, XLSX or JSON written as rows arrive, sealed as it is
written, hashed on the way (S4, S5).

Every writer takes its rows from an iterator and writes each row before it
asks for the next, so memory holds one batch of the database and one chunk
of the file, whatever the row count:

* CSV — UTF-8 with a byte-order mark (Excel opens Japanese text), a header of
  translated column names, lines buffered 64 KiB at a time;
* JSON — one array of objects keyed by the stable column keys, written
  object by object;
* XLSX — ``xlsxwriter`` in ``constant_memory`` mode: each row is flushed to
  the sheet's temporary file as soon as the next starts. Those temporary
  files are the one place the plaintext touches the disk: they are made
  0600 inside a private directory of the data dir for this export alone
  (never the system's temporary directory) and deleted as soon as the
  workbook is closed, whether it succeeded or not. A sheet holds at most
  1,048,576 rows: larger exports are refused for XLSX (services).

Formula injection (CWE-1236): a spreadsheet runs a cell that starts with
``=``, ``+``, ``-`` or ``@`` (and a tab or carriage return can hide one), so
every text cell of CSV and XLSX that starts with one of them is prefixed with
an apostrophe, which spreadsheets show as plain text. JSON is data for
programs and is written as it is.

The plaintext goes into ``dsr.export.SealedWriter`` (the access export's
sealing: AES-256-GCM per 64 KiB chunk under the export's own key, chunks
bound to the export id, their position and the end) through ``HashingSink``,
which keeps the SHA-256 of the file the requester will receive.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from terabox_crm import datadir
from terabox_crm.crypto import keyring
from terabox_crm.dsr import export as sealed

DOMAIN = "export"
KEY_PURPOSE = "encryption"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_575  # a sheet's rows, less the header
BOM = b"\xef\xbb\xbf"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
FLUSH_AT = 64 * 1024
WRITE_ROWS = 128  # rows handed to csv.writer at once


_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def neutralise(value) -> str:
    """``value`` as cell text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in _FORMULA_FIRST:
        return "'" + text
    return text


class HashingSink:
    """Passes bytes on to ``target`` and keeps their SHA-256 and count.

    It has no ``tell`` or ``seek``: ``zipfile`` (under ``xlsxwriter``) then
    writes a streamed archive, as it does into the sealed file."""

    def __init__(self, target) -> None:
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        data = bytes(data)
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)

    def flush(self) -> None:
        return None

    def writable(self) -> bool:
        return True


def csv_body(rows: Iterable[list]) -> Iterator[bytes]:
    """The lines of ``rows`` as UTF-8 CSV, about 64 KiB at a time, every text
    cell that starts a formula neutralised: the file without its byte-order
    mark and header, so that blocks of rows written by other processes
    (``exports.building``) join into the same file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    first = _FORMULA_FIRST
    # ``neutralise`` inlined for text cells (most cells): the same test.
    guarded = (
        [
            ("'" + value if value[:1] in first else value)
            if value.__class__ is str
            else neutralise(value)
            for value in row
        ]
        for row in rows
    )
    while True:
        # A few hundred rows at a time through ``writerows`` (one call, not
        # one a row); still one buffer of about 64 KiB in memory.
        lines = list(islice(guarded, WRITE_ROWS))
        if not lines:
            break
        writer.writerows(lines)
        if buffer.tell() >= FLUSH_AT:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def csv_head(labels: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise(label) for label in labels])
    return BOM + buffer.getvalue().encode("utf-8")


def write_csv(sink, labels: list[str], keys: list[str], rows: Iterator[list]) -> None:
    frame(sink, "csv", labels, csv_body(rows))


def _plain(value):
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


# Every object of a JSON body starts with this separator; the file's first
# drops its comma (``frame``).
JSON_SEPARATOR = b",\n"


def json_body(keys: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """The objects of ``rows``, each as ``,\\n{…}`` (see ``frame``)."""
    for row in rows:
        item = {key: _plain(value) for key, value in zip(keys, row, strict=True)}
        yield JSON_SEPARATOR + json.dumps(item, ensure_ascii=False).encode()


def write_json(sink, labels: list[str], keys: list[str], rows: Iterator[list]) -> None:
    frame(sink, "json", labels, json_body(keys, rows))


def frame(sink, fmt: str, labels: list[str], pieces: Iterable[bytes]) -> None:
    """A CSV or JSON file around its body's pieces (``csv_body``,
    ``json_body``), whichever process encoded which: a CSV's byte-order mark
    and header first; a JSON array's brackets, its first object without its
    separator's comma."""
    if fmt == "csv":
        sink.write(csv_head(labels))
        for piece in pieces:
            sink.write(piece)
    elif fmt == "json":
        sink.write(b"[")
        first = True
        for piece in pieces:
            if piece:
                sink.write(piece[1:] if first else piece)  # the first object: "\n{…}"
                first = False
        sink.write(b"\n]\n")
    else:
        raise ValueError(f"a {fmt!r} file is not written in pieces")


def write_xlsx(
    sink, labels: list[str], keys: list[str], rows: Iterator[list], *, tmpdir: Path
) -> None:
    # Imported here: every process of the product imports this module; only
    # an XLSX export needs xlsxwriter (30 ms of a start-up's imports).
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        sink,
        {
            "constant_memory": True,
            "tmpdir": str(tmpdir),
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet()
    for column, label in enumerate(labels):
        sheet.write_string(0, column, neutralise(label))
    for line, row in enumerate(rows, start=1):
        if line > XLSX_MAX_ROWS:
            raise TooManyRows(line)
        for column, value in enumerate(row):
            if isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(line, column, value)
            elif value not in (None, ""):
                sheet.write_string(line, column, neutralise(value))
    workbook.close()


class TooManyRows(ValueError):
    """More rows than a spreadsheet holds."""


def path_of(export_id) -> Path:
    return datadir.private_dir("exports") / f"{export_id}.sealed"


def key_scope(export_id) -> str:
    return f"export:{export_id}"


@contextmanager
def _sealed(export_id):
    """The export's sealed file, open behind a ``HashingSink``; yields
    ``(key, sink)`` and finishes the file. On any failure nothing stays
    behind: the partial file and its key are destroyed and the error is
    raised again."""
    key = keyring.create_key(key_scope(export_id), KEY_PURPOSE)
    try:
        fd = os.open(path_of(export_id), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            writer = sealed.SealedWriter(handle, key, export_id, domain=DOMAIN)
            sink = HashingSink(writer)
            yield key, sink
            writer.finish()
    except BaseException:
        destroy(export_id, key.key_id)
        raise


def write(
    export_id, fmt: str, labels: list[str], keys: list[str], rows: Iterable[list]
) -> tuple[str, int, str]:
    """Write the sealed file; returns (key id, plaintext size, SHA-256 hex).

    On any failure nothing stays behind: the partial file and its key are
    destroyed and the error is raised again."""
    tmpdir = datadir.private_dir("exports-tmp") / str(export_id)
    try:
        with _sealed(export_id) as (key, sink):
            rows = iter(rows)
            if fmt == "csv":
                write_csv(sink, labels, keys, rows)
            elif fmt == "json":
                write_json(sink, labels, keys, rows)
            elif fmt == "xlsx":
                tmpdir.mkdir(mode=0o700, exist_ok=True)
                write_xlsx(sink, labels, keys, rows, tmpdir=tmpdir)
            else:
                raise ValueError(f"unknown export format {fmt!r}")
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return key.key_id, sink.size, sink.digest.hexdigest()


# The formats whose body joins from pieces encoded apart (``write_body``).
JOINABLE = ("csv", "json")


def encode_body(fmt: str, keys: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """The body of a CSV or JSON file for ``rows`` (``write_body``'s pieces)."""
    if fmt == "csv":
        return csv_body(rows)
    if fmt == "json":
        return json_body(keys, rows)
    raise ValueError(f"a {fmt!r} file is not written in pieces")


def write_body(
    export_id, fmt: str, labels: list[str], pieces: Iterable[bytes]
) -> tuple[str, int, str]:
    """``write`` for a CSV or JSON file whose body comes already encoded
    (``encode_body``), in order, from however many processes encoded it:
    the same bytes as ``write`` gives for the same rows."""
    with _sealed(export_id) as (key, sink):
        frame(sink, fmt, labels, pieces)
    return key.key_id, sink.size, sink.digest.hexdigest()


def chunks(export_id, key_id: str) -> Iterator[bytes]:
    """The plaintext file, chunk by chunk (``dsr.export.ExportUnreadable``
    when it was altered, truncated or its key is gone)."""
    return sealed.open_chunks(export_id, key_id, path=path_of(export_id), domain=DOMAIN)


def destroy(export_id, key_id: str) -> None:
    """Delete the file and destroy its key (a copy in a backup stays unreadable)."""
    path_of(export_id).unlink(missing_ok=True)
    if key_id:
        keyring.destroy_key(key_id)
