"""Personal fields are stored encrypted; display names follow the language."""

from __future__ import annotations

import pytest
from django.db import connection
from django_scopes import scope

from terabox_crm.contacts.models import Contact
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of

EMAIL = "hanako.yamada@example.jp"
PHONE = "03-1234-5678"


def _raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return repr(cursor.fetchall())


@pytest.mark.django_db
def test_raw_rows_hold_no_plaintext(cast):
    owner = member_of(cast.acme, cast.owner)
    company = make_company(owner, name="山田商店", street="千代田1-1", notes="秘密のメモ")
    make_contact(
        owner,
        emails=[EMAIL],
        phones=[PHONE],
        company_id=company.pk,
        job_title="部長",
        notes="会議メモ",
    )
    dump = "".join(
        _raw_rows(t)
        for t in (
            "contacts_contact",
            "contacts_contactemail",
            "contacts_contactphone",
            "contacts_company",
            "crypto_searchterm",
        )
    )
    for plain in (
        EMAIL,
        "hanako",
        "+81312345678",
        "312345678",
        "山田",
        "花子",
        "ヤマダ",
        "部長",
        "会議メモ",
        "山田商店",
        "千代田",
        "秘密",
    ):
        assert plain not in dump, plain
    assert "v1:" in dump


@pytest.mark.django_db
def test_values_read_back_decrypted(cast):
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(owner, emails=[EMAIL], phones=[PHONE])
    with scope(workspace=cast.acme):
        fresh = Contact.objects.get(pk=contact.pk)
        assert fresh.family_name == "山田"
        assert fresh.primary_email == EMAIL
        assert fresh.primary_phone == "+81312345678"


def test_display_name_order_follows_the_script_of_the_name():
    contact = Contact(family_name="Yamada", given_name="Hanako")
    assert contact.display_name_for("ja") == "Hanako Yamada"  # Latin letters keep their order
    assert Contact(family_name="山田", given_name="花子").display_name_for("ja") == "山田 花子"
    assert contact.display_name_for("en") == "Hanako Yamada"
    assert Contact(family_name="山田", given_name="").display_name_for("en") == "山田"
    # A name in Japanese script is written family first on an English screen too.
    assert Contact(family_name="山田", given_name="花子").display_name_for("en") == "山田 花子"


def test_phone_display():
    from terabox_crm.contacts.templatetags.contacts_format import phone_display

    assert phone_display("+81312345678") == "03-1234-5678"
    assert phone_display("+14155550100") == "+1 415-555-0100"
    assert phone_display("") == ""


@pytest.mark.django_db(transaction=True)
def test_raw_sqlite_file_holds_no_plaintext(cast, tmp_path):
    import sqlite3

    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL rows are checked by test_raw_rows_hold_no_plaintext")
    owner = member_of(cast.acme, cast.owner)
    make_contact(owner, emails=[EMAIL], phones=[PHONE], notes="会議メモ")
    make_company(owner, name="山田商店")
    connection.ensure_connection()
    target = tmp_path / "copy.sqlite3"
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
    raw = target.read_bytes()
    assert b"v1:" in raw
    for plain in (EMAIL, "+81312345678", "山田", "花子", "ヤマダ", "会議メモ", "山田商店"):
        assert plain.encode() not in raw, plain
