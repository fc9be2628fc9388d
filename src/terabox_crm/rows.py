"""Plain INSERTs of new model rows, for the write paths every create takes.

Django builds an INSERT anew for every ``save()`` and ``bulk_create()``:
0.15–0.3 ms of Python a statement on the project's 2-core machine, more than
SQLite's own work for the row (docs/performance.md, "Write path").
``insert`` builds the statement once per model, row count and database, from
the model's own table and column names, and converts every value through
its field as ``save()`` does (``pre_save`` with ``add=True``, then
``get_db_prep_save``): defaults, ``auto_now``/``auto_now_add``, JSON and
encrypted columns (``EncryptedTextField.pre_save`` seals them) come out
exactly as the ORM writes them. A database-generated id is read back with
``RETURNING`` and set on the instance.

No ``pre_save``/``post_save`` signals are sent: use it only for models
nothing listens to (every caller names its models; ``audit/tests/test_rows.py``
checks that none has a receiver).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


@cache
def _fields(model: type[Model]) -> tuple:
    """The columns an INSERT of ``model`` writes: every concrete field but a
    database-generated id."""
    return tuple(f for f in model._meta.concrete_fields if not f.db_returning)


@cache
def _statement(model: type[Model], rows: int, vendor: str) -> tuple[str, str | None]:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    fields = _fields(model)
    names = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = next((f for f in model._meta.concrete_fields if f.db_returning), None)
    tail = f" RETURNING {quote(returning.column)}" if returning else ""
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {', '.join([one] * rows)}{tail}"  # noqa: S608  # nosec B608  # quoted names from the model; values are parameters
    return sql, returning.attname if returning else None


def _batch_size(connection, fields, objs) -> int:
    """Rows per INSERT: Django's answer, except on SQLite, where Django
    assumes the old 999-parameter default; the library's own limit (32,766
    or more since SQLite 3.32) lets a bulk action's 1,000 rows go in one
    statement (docs/ui.md "Bulk actions": the queries do not grow)."""
    size = connection.ops.bulk_batch_size(fields, objs)
    if connection.vendor == "sqlite" and len(fields) > 1:
        connection.ensure_connection()
        raw = connection.connection
        getlimit = getattr(raw, "getlimit", None)
        if getlimit is not None:
            size = max(size, getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(fields))
    return size


def insert(objs: Sequence[Model]) -> None:
    """INSERT ``objs`` (new instances of one model) in as few statements as
    the database's parameter limit allows; marks them saved."""
    if not objs:
        return
    # The connection itself, not django.db.connection: every attribute read
    # through that proxy looks the connection up again (a third of the cost).
    connection = connections[DEFAULT_DB_ALIAS]
    model = type(objs[0])
    fields = _fields(model)
    size = max(_batch_size(connection, fields, objs), 1)
    for start in range(0, len(objs), size):
        chunk = objs[start : start + size]
        values = [
            f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in chunk for f in fields
        ]
        sql, returned = _statement(model, len(chunk), connection.vendor)
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            ids = cursor.fetchall() if returned else ()
        for obj, row in zip(chunk, ids, strict=False):
            setattr(obj, returned, row[0])
        for obj in chunk:
            obj._state.adding = False
            obj._state.db = connection.alias
