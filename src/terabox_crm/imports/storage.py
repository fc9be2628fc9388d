"""The uploaded file: sealed as it is received, read back as rows (S3, §5).

Storing: the upload is copied chunk by chunk into ``dsr.export.SealedWriter``
(AES-256-GCM per 64 KiB chunk under the import's own key, domain
``import``), hashed on the way, while two incremental decoders decide the
text encoding of a CSV: UTF-8 (with or without a byte-order mark) when the
whole file decodes as UTF-8, else Shift_JIS as Windows writes it (CP932,
what Japanese Excel saves as "CSV"), else the file is refused. The plaintext
reaches the disk only in the upload's own temporary file, inside a private
directory of the data dir (``uploads.PrivateUploadHandler``), which Django
deletes at the end of the request.

Reading: a CSV is decrypted and parsed as a stream (one chunk and one row in
memory); an XLSX, which is a zip archive that ``openpyxl`` must seek in, is
decrypted into a 0600 file of a private directory for the duration of the
run and read in read-only mode (row by row), and that file is deleted as soon
as the run ends, whether it succeeded or not.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path

from django.utils.translation import gettext as _

from terabox_crm import datadir
from terabox_crm.core import jsonbody
from terabox_crm.crypto import keyring
from terabox_crm.dsr import export as sealed
from terabox_crm.refusals import Refusal

DOMAIN = "import"
KEY_PURPOSE = "encryption"
BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 256 * 1024
COLUMNS_MAX = 200
CELL_MAX = 20_000
csv.field_size_limit(CELL_MAX * 4)


def path_of(import_id) -> Path:
    return datadir.private_dir("imports") / f"{import_id}.sealed"


def key_scope(import_id) -> str:
    return f"import:{import_id}"


class Stored:
    """What storing learnt of the file."""

    def __init__(self) -> None:
        self.key_id = ""
        self.size = 0
        self.sha256 = ""
        self.file_format = ""
        self.encoding = ""
        self.lines = 0


def _refuse_type() -> Refusal:
    return Refusal(
        _("Upload a CSV file or an Excel workbook (.xlsx)."),
        code="unsupported_file_type",
        field="file",
        status=415,
    )


def _refuse_encoding() -> Refusal:
    return Refusal(
        _(
            "The file is neither UTF-8 nor Shift_JIS text. Save it from your spreadsheet as "
            "“CSV UTF-8” and upload it again."
        ),
        code="bad_encoding",
        field="file",
    )


def store(import_id, upload) -> Stored:
    """Seal ``upload`` (a Django ``UploadedFile``) under a new key of the
    import; refuse what is not a CSV or XLSX file, or a CSV in another
    encoding. On any refusal or error nothing stays behind."""
    found = Stored()
    key = keyring.create_key(key_scope(import_id), KEY_PURPOSE)
    found.key_id = key.key_id
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp932 = codecs.getincrementaldecoder("cp932")()
    utf8_ok = cp932_ok = True
    first = True
    try:
        fd = os.open(path_of(import_id), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            writer = sealed.SealedWriter(handle, key, import_id, domain=DOMAIN)
            for chunk in upload.chunks():
                if not chunk:
                    continue
                if first:
                    first = False
                    if chunk.startswith(b"PK\x03\x04"):
                        found.file_format = "xlsx"
                    elif b"\x00" in chunk[:HEAD_BYTES]:
                        raise _refuse_type()
                    else:
                        found.file_format = "csv"
                        if chunk.startswith(BOM):
                            chunk_text = chunk[len(BOM) :]
                            found.encoding = "utf-8-sig"
                        else:
                            chunk_text = chunk
                else:
                    chunk_text = chunk
                writer.write(chunk)
                digest.update(chunk)
                found.size += len(chunk)
                if found.file_format == "csv":
                    if b"\x00" in chunk:
                        raise _refuse_type()
                    found.lines += chunk.count(b"\n")
                    if utf8_ok:
                        try:
                            utf8.decode(chunk_text)
                        except UnicodeDecodeError:
                            utf8_ok = False
                    if cp932_ok and found.encoding != "utf-8-sig":
                        try:
                            cp932.decode(chunk_text)
                        except UnicodeDecodeError:
                            cp932_ok = False
            writer.finish()
        if not found.size:
            raise Refusal(_("The file is empty."), code="empty_file", field="file")
        if found.file_format == "csv":
            for decoder, name in ((utf8, "utf8"), (cp932, "cp932")):
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    if name == "utf8":
                        utf8_ok = False
                    else:
                        cp932_ok = False
            if found.encoding == "utf-8-sig":
                if not utf8_ok:
                    raise _refuse_encoding()
            elif utf8_ok:
                found.encoding = "utf-8"
            elif cp932_ok:
                found.encoding = "cp932"
            else:
                raise _refuse_encoding()
    except BaseException:
        destroy(import_id, found.key_id)
        raise
    found.sha256 = digest.hexdigest()
    return found


def destroy(import_id, key_id: str) -> None:
    """Delete the sealed file and destroy its key (a backup's copy stays unreadable)."""
    path_of(import_id).unlink(missing_ok=True)
    if key_id:
        keyring.destroy_key(key_id)


class _ChunkStream(io.RawIOBase):
    """The decrypted file as a readable stream, one chunk in memory."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def _cell(value) -> str:
    """A spreadsheet cell as text: whole numbers without ``.0``, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class Malformed(Exception):
    """The file cannot be read to its end (a broken CSV quote, a broken workbook)."""


@contextmanager
def rows(item) -> Iterator[tuple[Iterator[list[str]], int | None]]:
    """The file's rows as lists of strings (the header row first), streamed,
    and the number of rows a workbook declares (None for a CSV)."""
    chunks = sealed.open_chunks(item.pk, item.key_id, path=path_of(item.pk), domain=DOMAIN)
    if item.file_format == "csv":
        encoding = "utf-8-sig" if item.encoding == "utf-8-sig" else item.encoding
        text = io.TextIOWrapper(
            io.BufferedReader(_ChunkStream(chunks)), encoding=encoding, newline=""
        )
        try:
            yield _csv_rows(text), None
        finally:
            text.close()
        return
    tmpdir = datadir.private_dir("imports-tmp") / str(item.pk)
    tmpdir.mkdir(mode=0o700, exist_ok=True)
    target = tmpdir / "book.xlsx"
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        book = _xlsx_open(target)
        try:
            yield _xlsx_rows(book), book.worksheets[0].max_row
        finally:
            book.close()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _csv_rows(text) -> Iterator[list[str]]:
    reader = csv.reader(text)
    try:
        for row in reader:
            yield [cell.strip() for cell in row[:COLUMNS_MAX]]
    except (csv.Error, UnicodeDecodeError) as error:
        raise Malformed(str(error)) from None


def _xlsx_open(path: Path):
    # Imported here: every process of the product imports this module, and
    # importing openpyxl took 70 ms of the second a start-up spends importing;
    # only an XLSX import reads it.
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise Malformed(str(error)) from None
    if not book.worksheets:
        book.close()
        raise Malformed("no worksheet")
    return book


def _xlsx_rows(book) -> Iterator[list[str]]:
    try:
        for row in book.worksheets[0].iter_rows(values_only=True, max_col=COLUMNS_MAX):
            yield [_cell(value).strip() for value in row]
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise Malformed(str(error)) from None


def head(item) -> tuple[list[str], int]:
    """The header row (the first row with a value) and its line number."""
    try:
        with rows(item) as (found, _declared):
            for number, row in enumerate(found, start=1):
                if any(row):
                    return _trimmed(row), number
                if number > 1000:
                    break
    except (Malformed, sealed.ExportUnreadable):
        if item.file_format == "xlsx":
            raise _refuse_type() from None
    raise Refusal(
        _("The file has no header row: its first row must name the columns."),
        code="no_header",
        field="file",
    )


def _trimmed(row: list[str]) -> list[str]:
    while row and not row[-1]:
        row = row[:-1]
    return row


def headers_json(headers: list[str]) -> str:
    return json.dumps(headers, ensure_ascii=False)


def stored_json(text: str, default):
    """A JSON value this app stored itself (headers, a receipt), read through
    the one JSON reader (``core.jsonbody``); ``default`` when there is none."""
    if not text:
        return default
    try:
        found = jsonbody.parse(text, limit=len(text.encode()) + 1)
    except jsonbody.BodyRefused:
        return default
    return found if isinstance(found, type(default)) else default


def headers_of(item) -> list[str]:
    return [str(header) for header in stored_json(item.headers, [])]
