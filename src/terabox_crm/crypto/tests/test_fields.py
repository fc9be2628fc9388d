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


def test_batch_decryptor_reads_what_decrypt_reads_and_refuses_what_it_refuses(db):
    """``Decryptor`` (exports, S4) keeps every check of ``decrypt``: the row,
    column, table and scope bound in, a tampered or malformed token refused."""
    context = {"scope": "system", "table": "t", "column": "c", "row_id": "1"}
    token = fields.encrypt("秘密 secret", **context)
    decryptor = fields.Decryptor()
    assert decryptor.decrypt(token, **context) == fields.decrypt(token, **context) == "秘密 secret"
    assert decryptor.decrypt(token, **context) == "秘密 secret"  # its key held, read again
    prefix, key_id, payload = token.split(":", 2)
    flipped = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    for bad, changes in [
        (token, {"row_id": "2"}),
        (token, {"column": "d"}),
        (token, {"table": "u"}),
        (token, {"scope": "another"}),
        (f"{prefix}:{key_id}:{flipped}", {}),
        (f"v0:{key_id}:{payload}", {}),
        (f"{prefix}:{key_id}:not base64!", {}),
        (f"{prefix}:unknown-key:{payload}", {}),
        ("garbage", {}),
    ]:
        with pytest.raises(fields.DecryptionError):
            decryptor.decrypt(bad, **{**context, **changes})
        with pytest.raises(fields.DecryptionError):
            fields.decrypt(bad, **{**context, **changes})
        changed = {**context, **changes}
        row_id = changed.pop("row_id")
        with pytest.raises(fields.DecryptionError):
            decryptor.opener(**changed)(bad, row_id)
    # The per-column form: the same value, its key held across calls.
    open_ = fields.Decryptor().opener(scope="system", table="t", column="c")
    assert open_(token, "1") == open_(token, "1") == "秘密 secret"
    with pytest.raises(fields.DecryptionError):
        open_(token, "2")
