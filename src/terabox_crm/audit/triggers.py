"""Database triggers that make the audit tables append-only (S5).

The application never updates or deletes an audit row (the models raise), and
the database refuses it as well, so a bug, a stray ``QuerySet.update()`` or a
hand-typed ``DELETE`` cannot rewrite history:

* SQLite: ``BEFORE UPDATE`` / ``BEFORE DELETE`` triggers that ``RAISE(ABORT)``
  unless the one-row ``audit_maintenance`` table is switched on.
* PostgreSQL: one plpgsql function used by a row trigger (UPDATE, DELETE) and
  a statement trigger (TRUNCATE) on each table; it lets the change through
  only when the transaction-local setting ``terabox.audit_maintenance`` is
  ``on``.

Both switches are flipped only by ``audit.maintenance.maintenance_window()``
(retention, and wiping a test or demo database); see
docs/decisions/0001-audit-chain.md. ``audit_chainhead`` is deliberately not
protected: it is the mutable pointer that serialises appends.

On SQLite, altering one of these tables in a later migration rebuilds it and
drops its triggers: such a migration must call ``install()`` again (a test
checks that every trigger exists after all migrations).
"""

from __future__ import annotations

PROTECTED_TABLES = (
    "audit_auditevent",
    "audit_auditdetail",
    "audit_checkpoint",
    "audit_signingkey",
)
MAINTENANCE_TABLE = "audit_maintenance"  # SQLite only; not a model, so `flush` never empties it
MAINTENANCE_SETTING = "terabox.audit_maintenance"  # PostgreSQL only
PG_FUNCTION = "audit_refuse_change"


def sqlite_trigger_names() -> list[str]:
    return [f"{table}_no_{op}" for table in PROTECTED_TABLES for op in ("update", "delete")]


def postgresql_trigger_names() -> list[str]:
    return [
        f"{table}_{suffix}"
        for table in PROTECTED_TABLES
        for suffix in ("append_only", "no_truncate")
    ]


def _sqlite_install() -> list[str]:
    statements = [
        f"""CREATE TABLE IF NOT EXISTS {MAINTENANCE_TABLE} (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1))
        )""",
        f"INSERT OR IGNORE INTO {MAINTENANCE_TABLE} (id, enabled) VALUES (1, 0)",  # noqa: S608 - constant names
    ]
    for table in PROTECTED_TABLES:
        for op in ("UPDATE", "DELETE"):
            statements.append(
                f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()}
                BEFORE {op} ON {table} FOR EACH ROW
                WHEN NOT EXISTS (SELECT 1 FROM {MAINTENANCE_TABLE} WHERE id = 1 AND enabled = 1)
                BEGIN
                    SELECT RAISE(ABORT, '{table} is append-only: {op} refused');
                END"""  # noqa: S608 - constant table names, no input  # nosec B608
            )
    return statements


def _sqlite_uninstall() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {name}" for name in sqlite_trigger_names()]
    statements.append(f"DROP TABLE IF EXISTS {MAINTENANCE_TABLE}")
    return statements


def _postgresql_install() -> list[str]:
    statements = [
        f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('{MAINTENANCE_SETTING}', true) = 'on' THEN
                IF TG_LEVEL = 'ROW' THEN
                    IF TG_OP = 'DELETE' THEN
                        RETURN OLD;
                    END IF;
                    RETURN NEW;
                END IF;
                RETURN NULL;
            END IF;
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'restrict_violation';
        END;
        $$"""
    ]
    for table in PROTECTED_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()""",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()""",
        ]
    return statements


def _postgresql_uninstall() -> list[str]:
    statements = []
    for table in PROTECTED_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    statements.append(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    return statements


def _statements(vendor: str, *, install_: bool) -> list[str]:
    if vendor == "sqlite":
        return _sqlite_install() if install_ else _sqlite_uninstall()
    if vendor == "postgresql":
        return _postgresql_install() if install_ else _postgresql_uninstall()
    raise NotImplementedError(f"append-only audit triggers are not written for {vendor!r}")


def install(schema_editor) -> None:
    """Create (or re-create) the triggers; idempotent. For migrations."""
    for statement in _statements(schema_editor.connection.vendor, install_=True):
        schema_editor.execute(statement, params=None)


def uninstall(schema_editor) -> None:
    for statement in _statements(schema_editor.connection.vendor, install_=False):
        schema_editor.execute(statement, params=None)


def installed(connection) -> set[str]:
    """Names of the append-only triggers present in the database (for checks and tests)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


def expected(connection) -> set[str]:
    if connection.vendor == "sqlite":
        return set(sqlite_trigger_names())
    return set(postgresql_trigger_names())
