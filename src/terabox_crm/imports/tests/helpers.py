"""Test helpers: files made in memory, an import uploaded and run through
the services (the job runs on commit, as the queue is immediate in tests)."""

from __future__ import annotations

import io

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.imports import services
from terabox_crm.imports.models import Import

__all__ = ["csv_bytes", "make_contact", "member_of", "run", "upload", "xlsx_bytes"]

LIMIT = 10 * 1024 * 1024


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(",".join(row) for row in rows) + "\r\n"
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for line, row in enumerate(rows):
        for column, value in enumerate(row):
            sheet.write(line, column, value)
    book.close()
    return buffer.getvalue()


def upload(membership, data: bytes, *, name="people.csv", resource="contacts") -> Import:
    return services.import_upload(
        membership=membership,
        resource=resource,
        upload=SimpleUploadedFile(name, data),
        limit=LIMIT,
    )


def run(membership, capture, item: Import, **options) -> Import:
    """Start a run (dry by default) and let its job run."""
    options.setdefault("dry_run", True)
    with capture(execute=True):
        services.import_start(membership=membership, import_id=item.pk, **options)
    with scopes_disabled():
        return Import.objects.get(pk=item.pk)


def rows_of(item: Import) -> list[tuple]:
    with scopes_disabled():
        return list(item.rows.order_by("number").values_list("number", "outcome", "code", "field"))


def contact_in(membership, **kwargs):
    from django_scopes import scope

    with scope(workspace=membership.workspace):
        return make_contact(membership, **kwargs)
