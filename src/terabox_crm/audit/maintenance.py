"""The one deliberate way to change audit rows: a maintenance window.

The append-only triggers (``triggers.py``) let an UPDATE, DELETE or TRUNCATE
of audit rows through only inside ``maintenance_window()``. Its callers are
few and named: retention of expired events (which first writes a checkpoint so
verification still starts from a trusted point), and wiping a test or demo
database (``flush``). Nothing reachable from a request uses it.

The switch is scoped to one transaction on one connection:

* PostgreSQL: ``set_config('terabox.audit_maintenance', 'on', true)`` —
  transaction-local, reverted by rollback (also of a savepoint), and switched
  off again before the window closes so the rest of an enclosing transaction
  is protected again.
* SQLite: the one row of ``audit_maintenance`` is set to 1 and back to 0
  before the window's transaction ends. SQLite has a single writer at a time
  (IMMEDIATE transactions), so no other connection ever sees it on.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from django.db import connections, transaction

from terabox_crm.audit.triggers import MAINTENANCE_SETTING, MAINTENANCE_TABLE

log = logging.getLogger(__name__)


def _switch(connection, on: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT set_config(%s, %s, true)", [MAINTENANCE_SETTING, "on" if on else "off"]
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                f"UPDATE {MAINTENANCE_TABLE} SET enabled = %s WHERE id = 1",  # noqa: S608 - constant name  # nosec B608
                [1 if on else 0],
            )
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(connection.vendor)


@contextlib.contextmanager
def maintenance_window(*, reason: str, using: str = "default") -> Iterator[None]:
    """Allow changes to audit rows inside this block (one transaction).

    ``reason`` is logged (it must name the caller, never a person).
    """
    connection = connections[using]
    log.warning("audit maintenance window opened: %s", reason)
    with transaction.atomic(using=using):
        _switch(connection, True)
        yield
        # Reached only on success; on an exception the rollback undoes the switch.
        _switch(connection, False)
    log.warning("audit maintenance window closed: %s", reason)
