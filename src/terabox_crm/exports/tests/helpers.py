"""Test helpers: contacts made through the services, an export built by the
job (on commit), and the file read back."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from xml.etree import ElementTree

from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.exports import services, writers
from terabox_crm.exports.models import Export

__all__ = ["build", "file_rows", "make_contact", "member_of", "read_file", "request_export"]

XLSX_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def request_export(membership, capture, **kwargs) -> Export:
    """Ask for an export and run its job (the queue is immediate in tests)."""
    kwargs.setdefault("resource", "contacts")
    kwargs.setdefault("format", "csv")
    kwargs.setdefault("purpose", "support")
    with capture(execute=True):
        item = services.export_request(membership=membership, **kwargs)
    with scopes_disabled():
        return Export.objects.get(pk=item.pk)


def build(item: Export) -> Export:
    services.export_build(item.pk)
    with scopes_disabled():
        return Export.objects.get(pk=item.pk)


def read_file(item: Export) -> bytes:
    """The plaintext file, without downloading it (which would destroy it)."""
    return b"".join(writers.chunks(item.pk, item.key_id))


def _xlsx_rows(data: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # The file our own writer made in this test, not untrusted input.
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    rows = []
    for row in sheet.iterfind(".//m:sheetData/m:row", XLSX_NS):
        cells = []
        for cell in row.iterfind("m:c", XLSX_NS):
            text = cell.find("m:is/m:t", XLSX_NS)
            value = cell.find("m:v", XLSX_NS)
            found = text.text if text is not None else (value.text if value is not None else "")
            # OOXML writes control characters as _xHHHH_ (ECMA-376 §22.9.2.19).
            cells.append(re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), found or ""))
        rows.append(cells)
    return rows


def file_rows(fmt: str, data: bytes) -> list:
    """Header and rows of a CSV or XLSX file; the objects of a JSON one."""
    if fmt == "csv":
        assert data.startswith(writers.BOM)
        return list(csv.reader(io.StringIO(data[len(writers.BOM) :].decode("utf-8"))))
    if fmt == "xlsx":
        return _xlsx_rows(data)
    return json.loads(data)


def contact_in(membership, **kwargs):
    with scope(workspace=membership.workspace):
        return make_contact(membership, **kwargs)
