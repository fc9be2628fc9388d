"""Reading an uploaded file (SPEC §2): CSV in UTF-8, UTF-8 with a BOM and
Shift_JIS (CP932, as Japanese Excel saves it), XLSX; headers mapped by their
Japanese or English names; the file sealed on disk; what is not a CSV or a
workbook refused with nothing kept."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.imports import columns, storage
from terabox_crm.imports.models import Import
from terabox_crm.imports.tests.helpers import csv_bytes, member_of, run, upload, xlsx_bytes
from terabox_crm.refusals import Refusal

pytestmark = pytest.mark.django_db

ROWS = [
    ["姓", "名", "セイ", "メイ", "メールアドレス", "電話番号"],
    ["山田", "花子", "ヤマダ", "ハナコ", "hanako@example.jp", "03-1234-5678"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_a_csv_in_each_encoding_imports_its_japanese_names(
    cast, django_capture_on_commit_callbacks, encoding
):
    manager = member_of(cast.acme, cast.manager)
    item = upload(manager, csv_bytes(ROWS, encoding))
    assert item.encoding == encoding and item.file_format == "csv"
    assert storage.headers_of(item) == ROWS[0]
    done = run(manager, django_capture_on_commit_callbacks, item, dry_run=False)
    assert done.status == "done" and done.created == 1, done.failure
    with scopes_disabled():
        contact = Contact.objects.get(workspace=cast.acme)
    assert (contact.family_name, contact.given_name, contact.given_name_kana) == (
        "山田",
        "花子",
        "ハナコ",
    )
    assert contact.source == "import"


def test_an_xlsx_workbook_imports_its_rows(cast, django_capture_on_commit_callbacks):
    manager = member_of(cast.acme, cast.manager)
    item = upload(
        manager,
        xlsx_bytes(
            [["Last name", "First name", "Email"], ["Garcia", "Sofia", "sofia@example.com"]]
        ),
        name="people.xlsx",
    )
    assert item.file_format == "xlsx"
    assert item.mapping == ["family_name", "given_name", "email"]
    done = run(manager, django_capture_on_commit_callbacks, item, dry_run=False)
    assert (done.status, done.created) == ("done", 1)
    with scopes_disabled():
        contact = Contact.objects.get(workspace=cast.acme)
        assert contact.emails.get().value == "sofia@example.com"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["姓", "名", "セイ", "メイ", "メール", "電話", "会社"],
            [
                "family_name",
                "given_name",
                "family_name_kana",
                "given_name_kana",
                "email",
                "phone",
                "company",
            ],
        ),
        (
            ["First Name", "last_name", "E-mail", "Phone Number", "Company"],
            ["given_name", "family_name", "email", "phone", "company"],
        ),
        (
            ["姓（カナ）", "氏名", "備考", "unknown", "メール", "Email"],
            ["family_name_kana", "full_name", "notes", "", "email", ""],
        ),
    ],
)
def test_headers_are_mapped_by_their_japanese_or_english_names(headers, expected):
    assert columns.auto_map("contacts", headers) == expected


def test_the_file_is_sealed_on_disk(cast):
    manager = member_of(cast.acme, cast.manager)
    item = upload(manager, csv_bytes(ROWS))
    on_disk = storage.path_of(item.pk).read_bytes()
    assert b"hanako@example.jp" not in on_disk and "山田".encode() not in on_disk
    assert len(item.sha256) == 64 and item.key_id


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "unsupported_file_type"),
        (b"PK\x03\x04 not really a workbook", "unsupported_file_type"),
        ("姓,名\r\n".encode("cp932") + b"\x81\x20\xe5\r\n", "bad_encoding"),
        (b"", "empty_file"),
        (b"\r\n\r\n", "no_header"),
    ],
)
def test_what_is_not_a_readable_file_is_refused_and_nothing_kept(cast, data, code):
    manager = member_of(cast.acme, cast.manager)
    folder = storage.path_of("x").parent
    before = set(folder.glob("*.sealed"))
    with pytest.raises(Refusal) as refused:
        upload(manager, data)
    assert refused.value.code == code
    with scopes_disabled():
        assert not Import.objects.exists()
    assert set(folder.glob("*.sealed")) == before
