import pytest
from django.db import connection

from terabox_crm.accounts.models import User
from terabox_crm.crypto import fields


def raw_row(table: str, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return cursor.fetchone()[0]


def test_email_is_stored_encrypted_and_read_back(db):
    user = User.objects.create_user("Hanako@Example.jp", "x" * 20)
    stored = raw_row("accounts_user", "email", user.pk)
    assert stored.startswith("v1:")
    assert "hanako" not in stored.lower()
    assert User.objects.get(pk=user.pk).email == "hanako@example.jp"


def test_user_is_found_by_email_blind_index_whatever_the_case(db):
    user = User.objects.create_user("taro@example.jp", "x" * 20)
    assert User.objects.find_by_email(" TARO@example.jp ") == user


def test_equal_plaintexts_give_different_ciphertexts(db):
    a = fields.encrypt("same", scope="system", table="t", column="c", row_id="1")
    b = fields.encrypt("same", scope="system", table="t", column="c", row_id="1")
    assert a != b


def test_ciphertext_moved_to_another_row_fails(db):
    token = fields.encrypt("secret", scope="system", table="t", column="c", row_id="1")
    with pytest.raises(fields.DecryptionError):
        fields.decrypt(token, scope="system", table="t", column="c", row_id="2")
