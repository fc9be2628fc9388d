"""Encrypted model fields (S3).

A field declared ``EncryptedTextField`` keeps plaintext only in memory. The
column holds ``v1:{key_id}:{base64(nonce ‖ ciphertext ‖ tag)}`` (AES-256-GCM),
whose associated data binds it to scope + table + column + row id + key id,
so a ciphertext copied to another row, column or workspace fails to decrypt.

Decryption is lazy: rows load with their ciphertext and a value is decrypted
the first time it is read, so a list page pays only for the columns it shows.
The model must have its primary key before the first save (UUID default) and
may define ``encryption_scope()``; otherwise rows with a ``workspace_id`` use
that workspace's keys and the rest use the system scope.
"""

from __future__ import annotations

import base64
import binascii
import os

from django.db import models

from terabox_crm.crypto import keyring

PREFIX = "v1"


class DecryptionError(ValueError):
    """A ciphertext failed authentication (tampered, moved, or key destroyed)."""


def _aad(scope: str, table: str, column: str, row_id: str, key_id: str) -> bytes:
    return "\x1f".join(("tbx/v1", scope, table, column, row_id, key_id)).encode()


def encrypt(
    plaintext: str,
    *,
    scope: str,
    table: str,
    column: str,
    row_id: str,
    key: keyring.LoadedKey | None = None,
) -> str:
    """Seal ``plaintext`` under the scope's active key (or ``key``, for rotation)."""
    key = key or keyring.active_key(scope)
    if key.scope != scope:
        raise ValueError("the key belongs to another scope")
    nonce = os.urandom(12)
    sealed = key.aead.encrypt(
        nonce, plaintext.encode("utf-8"), _aad(scope, table, column, row_id, key.key_id)
    )
    return f"{PREFIX}:{key.key_id}:{base64.b64encode(nonce + sealed).decode()}"


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


def decrypt(token: str, *, scope: str, table: str, column: str, row_id: str) -> str:
    try:
        prefix, key_id, payload = token.split(":", 2)
        if prefix != PREFIX:
            raise ValueError(prefix)
        blob = base64.b64decode(payload, validate=True)
    except ValueError:
        raise DecryptionError("malformed ciphertext") from None
    try:
        key = keyring.get_key(key_id)
    except keyring.KeyUnavailable as exc:
        raise DecryptionError(str(exc)) from None
    if key.scope != scope:
        raise DecryptionError("ciphertext belongs to another scope")
    try:
        plain = key.aead.decrypt(blob[:12], blob[12:], _aad(scope, table, column, row_id, key_id))
    except Exception:  # cryptography raises InvalidTag; any failure means "not authentic"
        raise DecryptionError("ciphertext failed authentication") from None
    return plain.decode("utf-8")


class Decryptor:
    """``decrypt`` for many values at once (an export, S4): the same checks
    and the same associated data, with each data key looked up once per
    ``Decryptor`` instead of once per value and the associated data's
    fixed part (scope, table, column) joined once per column.

    Make one per batch of rows: a key destroyed meanwhile is then seen at
    the next batch (``keyring.get_key`` rechecks the shared generation)."""

    def __init__(self) -> None:
        self._keys: dict[str, keyring.LoadedKey] = {}
        self._heads: dict[tuple[str, str, str], str] = {}

    def _key(self, key_id: str, scope: str) -> keyring.LoadedKey:
        key = self._keys.get(key_id)
        if key is None:
            try:
                key = keyring.get_key(key_id)
            except keyring.KeyUnavailable as exc:
                raise DecryptionError(str(exc)) from None
            self._keys[key_id] = key
        if key.scope != scope:
            raise DecryptionError("ciphertext belongs to another scope")
        return key

    def opener(self, *, scope: str, table: str, column: str):
        """``decrypt`` for one column, as ``open(token, row_id)``: the
        associated data's fixed part joined and the last key kept in the
        closure, so a value costs a split, a base64 decode and the AEAD call.
        The same checks as ``decrypt`` (prefix, key scope, authentication)."""
        head = "\x1f".join(("tbx/v1", scope, table, column, ""))
        last: list = [None, None]  # the last key id and its key, checked once
        keys = self._keys
        a2b = binascii.a2b_base64

        def open_(token: str, row_id: str) -> str:
            try:
                prefix, key_id, payload = token.split(":", 2)
                if prefix != PREFIX:
                    raise ValueError(prefix)
                blob = a2b(payload, strict_mode=True)
            except (ValueError, binascii.Error):
                raise DecryptionError("malformed ciphertext") from None
            if key_id == last[0]:
                key = last[1]
            else:
                key = keys.get(key_id)
                if key is None or key.scope != scope:
                    key = self._key(key_id, scope)
                last[0], last[1] = key_id, key
            try:
                plain = key.aead.decrypt(
                    blob[:12], blob[12:], f"{head}{row_id}\x1f{key_id}".encode()
                )
            except Exception:  # cryptography raises InvalidTag; any failure means "not authentic"
                raise DecryptionError("ciphertext failed authentication") from None
            return plain.decode("utf-8")

        return open_

    def decrypt(self, token: str, *, scope: str, table: str, column: str, row_id: str) -> str:
        try:
            prefix, key_id, payload = token.split(":", 2)
            if prefix != PREFIX:
                raise ValueError(prefix)
            blob = binascii.a2b_base64(payload, strict_mode=True)
        except (ValueError, binascii.Error):
            raise DecryptionError("malformed ciphertext") from None
        key = self._keys.get(key_id)
        if key is None or key.scope != scope:
            key = self._key(key_id, scope)
        head = self._heads.get((scope, table, column))
        if head is None:
            head = self._heads[(scope, table, column)] = "\x1f".join(
                ("tbx/v1", scope, table, column, "")
            )
        aad = f"{head}{row_id}\x1f{key_id}".encode()
        try:
            plain = key.aead.decrypt(blob[:12], blob[12:], aad)
        except Exception:  # cryptography raises InvalidTag; any failure means "not authentic"
            raise DecryptionError("ciphertext failed authentication") from None
        return plain.decode("utf-8")


def scope_of(instance: models.Model) -> str:
    method = getattr(instance, "encryption_scope", None)
    if method is not None:
        return method()
    workspace_id = getattr(instance, "workspace_id", None)
    return str(workspace_id) if workspace_id else keyring.SYSTEM_SCOPE


class _Ciphertext(str):
    """A value as loaded from the database, not yet decrypted."""


class _EncryptedDescriptor:
    def __init__(self, field: EncryptedTextField) -> None:
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__.get(self.field.attname)
        if isinstance(value, _Ciphertext):
            value = self.field.decrypt_for(instance, str(value))
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; ``""`` and ``None`` are stored as they are."""

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        setattr(cls, self.attname, _EncryptedDescriptor(self))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return _Ciphertext(value)

    def _context(self, instance) -> dict[str, str]:
        if instance.pk is None:
            raise ValueError(
                f"{type(instance).__name__} needs its primary key before encryption (use a UUID default)"
            )
        return {
            "scope": scope_of(instance),
            "table": instance._meta.db_table,
            "column": self.column,
            "row_id": str(instance.pk),
        }

    def decrypt_for(self, instance, token: str) -> str:
        return decrypt(token, **self._context(instance))

    def encrypt_for(self, instance, plaintext: str, *, key: keyring.LoadedKey | None = None) -> str:
        """The column value for ``plaintext`` under ``key`` (rotation) or the active key."""
        return encrypt(plaintext, key=key, **self._context(instance))

    def stored_value(self, instance):
        """The column value as loaded (ciphertext), without decrypting it."""
        return instance.__dict__.get(self.attname)

    def pre_save(self, model_instance, add):
        value = model_instance.__dict__.get(self.attname)
        if value is None or value == "" or isinstance(value, _Ciphertext):
            return value
        return encrypt(str(value), **self._context(model_instance))

    def get_prep_value(self, value):
        # Plaintext must never reach a query; pre_save has encrypted it already.
        return value
