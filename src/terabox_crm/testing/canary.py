"""Raw-storage canaries (S3): personal values must never reach the disk, the
database or the logs in clear.

How it works
------------
``tests/test_raw_storage_canary.py`` starts a *separate process*
(``python -m terabox_crm.testing.canary seed OUT.json``) with a fresh
``CRM_DATA_DIR`` and, for PostgreSQL, its own fresh database. That process
migrates the database exactly as ``terabox-crm`` does (``ops.bootstrap.prepare``),
writes distinctive canary values through the real services (accounts, core,
and every app that registers a seeder), checks that the services read them
back (so an empty database cannot pass), scans the data dir while its SQLite
connection is still open (the ``-wal`` file then still holds the newest
pages), and writes the canaries and its findings to ``OUT.json``. The test then
scans again after the process exited: the data dir's files, the raw rows of
every PostgreSQL table and a ``pg_dump`` when one is installed, and the
process's log output.

A separate process rather than the test run's own database because the test
database is in memory on SQLite (there is no file to open), and because the
product's own start-up path (settings from the environment, migrations, WAL
mode, the job queue file) is then what is under test.

What is not scanned: ``mail/`` in the data dir. Without ``CRM_EMAIL_URL`` the
embedded default delivers email into files there, in clear, as a developer
convenience (an email is plaintext once sent anyway); the outbox table that
holds mail *waiting* to be sent is encrypted and is scanned.

Adding an app's fields
----------------------
Put ``<app>/tests/canary_seeds.py`` beside your tests (it is imported in the
seeding process automatically) and register a seeder that writes through your
services and returns the values it wrote::

    from terabox_crm.testing.canary import World, seeder

    @seeder
    def contacts(world: World) -> list[str]:
        services.contact_create(actor=world.owner, workspace=world.workspace,
                                family_name="カナリア", email="canary.contact@example.net",
                                phone="03-5555-0199")
        return ["カナリア", "canary.contact@example.net", "0355550199", "+81355550199"]

Return every form a value could leak in (e.g. a phone number as typed and
normalised). Values must be distinctive (no common words) and at least 6
characters, so a match is never a coincidence.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Canary values of the foundation: unusual enough never to occur by chance.
OWNER_EMAIL = "canary.owner.qx7@example.org"
OWNER_NAME = "Qxzylvania Canaryowner"
OWNER_NAME_JA = "鳴鳥 花梨"
INVITEE_EMAIL = "canary.invitee.qx7@example.org"
NEW_EMAIL = "canary.newaddress.qx7@example.org"
SESSION_IP = "203.0.113.177"
SESSION_USER_AGENT = "CanaryBrowser/9.7 (QxzylOS; canary-agent)"
WORKSPACE_NAME = "Canary Workspace"
PASSWORD = "canary passphrase never stored 91"  # nosec B105  # a test account's password, searched for in storage


@dataclass
class World:
    """What seeders get: an owner signed up through the services, their workspace."""

    owner: object
    workspace: object
    membership: object  # the owner's, for services that take ``membership=``
    notes: dict[str, int] = field(default_factory=dict)  # counts a seeder may report


Seeder = Callable[[World], Iterable[str]]
_seeders: dict[str, Seeder] = {}


def seeder(function: Seeder) -> Seeder:
    """Register a function that writes canaries through services and returns them."""
    _seeders[f"{function.__module__}.{function.__qualname__}"] = function
    return function


@dataclass(frozen=True)
class Finding:
    where: str  # file path, "table.column", "pg_dump" or "log"
    canary: str
    encoding: str


def _needles(canaries: Iterable[str]) -> list[tuple[str, str, bytes]]:
    """Every byte form a canary could be stored in: UTF-8 (SQLite, PostgreSQL,
    JSON files), UTF-16 (SQLite databases created with a UTF-16 encoding,
    Windows logs) and JSON's ``\\uXXXX`` escapes of non-ASCII text. ASCII
    case is ignored (emails are stored normalised to lower case)."""
    needles = []
    for canary in canaries:
        form = canary.lower()
        needles.append((canary, "utf-8", form.encode("utf-8").lower()))
        needles.append((canary, "utf-16-le", form.encode("utf-16-le").lower()))
        escaped = json.dumps(form)[1:-1]
        if escaped != form:
            needles.append((canary, "json-escaped", escaped.encode("ascii").lower()))
    return needles


def scan_bytes(data: bytes, canaries: Iterable[str], where: str) -> list[Finding]:
    haystack = data.lower()  # ASCII letters only: other bytes are left as they are
    found = []
    for canary, encoding, needle in _needles(canaries):
        if needle in haystack:
            found.append(Finding(where, canary, encoding))
    return found


def scan_text(text: str, canaries: Iterable[str], where: str) -> list[Finding]:
    return scan_bytes(text.encode("utf-8"), canaries, where)


def sqlite_files(database: Path) -> list[Path]:
    """The database file and its companions, when present: -wal, -shm, -journal."""
    candidates = [database] + [
        Path(f"{database}{suffix}") for suffix in ("-wal", "-shm", "-journal")
    ]
    return [path for path in candidates if path.exists()]


def scan_paths(
    root: Path, canaries: Iterable[str], *, exclude: tuple[str, ...] = ("mail",)
) -> list[Finding]:
    """Scan every file under ``root`` except the top-level directories ``exclude``."""
    canaries = list(canaries)
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts and relative.parts[0] in exclude:
            continue
        if path.is_file():
            found += scan_bytes(path.read_bytes(), canaries, str(relative))
    return found


def scanned_files(root: Path, *, exclude: tuple[str, ...] = ("mail",)) -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and path.relative_to(root).parts[0] not in exclude
    )


def scan_postgres(dsn: str, canaries: Iterable[str]) -> tuple[list[Finding], int]:
    """Every text-like and bytea column of every table of the public schema,
    read raw (no Django fields, so no decryption). Returns the findings and
    how many column values were read."""
    import psycopg

    canaries = list(canaries)
    found: list[Finding] = []
    values = 0
    with psycopg.connect(dsn) as connection:
        columns = connection.execute(
            """
            SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = 'public'
              AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb',
                                'bytea', 'ARRAY', 'USER-DEFINED', 'inet')
            ORDER BY table_name, column_name
            """
        ).fetchall()
        for table, column, data_type in columns:
            expression = f'"{column}"' if data_type == "bytea" else f'"{column}"::text'
            rows = connection.execute(
                f'SELECT {expression} FROM "{table}" WHERE "{column}" IS NOT NULL'  # noqa: S608 - names from the catalog  # nosec B608
            )
            for (value,) in rows:
                values += 1
                data = bytes(value) if isinstance(value, bytes | memoryview) else value.encode()
                found += scan_bytes(data, canaries, f"{table}.{column}")
    return found, values


def pg_dump(dsn: str) -> bytes | None:
    """A plain-SQL dump of the database, or None when ``pg_dump`` is not installed."""
    import shutil
    import subprocess  # nosec B404  # pg_dump with fixed arguments, below

    command = shutil.which("pg_dump")
    if command is None:
        return None
    return subprocess.run(  # noqa: S603 - pg_dump from PATH, fixed arguments  # nosec B603
        [command, "--no-owner", "--dbname", dsn], check=True, capture_output=True, timeout=120
    ).stdout


# --- The seeding process ---------------------------------------------------------------


def _discover_seeders() -> None:
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("terabox_crm."):
            continue
        name = f"{config.name}.tests.canary_seeds"
        try:
            spec = find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            import_module(name)


def _seed_foundation() -> tuple[World, list[str]]:
    """Write the foundation's personal data through its services, as a browser would."""
    from django.test import Client

    from terabox_crm import context
    from terabox_crm.accounts import services as accounts
    from terabox_crm.core import invitations
    from terabox_crm.core.selectors import membership_in
    from terabox_crm.ops import owners
    from terabox_crm.testing.auth import login

    browser = context.RequestContext(ip=SESSION_IP, user_agent=SESSION_USER_AGENT, channel="web")
    with context.activate(browser):
        created = owners.owner_create(
            email=OWNER_EMAIL, workspace_name=WORKSPACE_NAME, password=PASSWORD
        )
        owner = created.user
        # A signed-in session: UserSession and Device rows with IP and user agent.
        login(Client(), owner)
        accounts.profile_update(actor=owner, display_name=OWNER_NAME, language="ja")
        accounts.profile_update(actor=owner, display_name=OWNER_NAME_JA, language="ja")
        invitations.member_invite(
            membership=membership_in(created.workspace, owner), email=INVITEE_EMAIL, role="member"
        )
        accounts.email_change_request(actor=owner, new_email=NEW_EMAIL)
    canaries = [
        OWNER_EMAIL,
        OWNER_NAME,
        OWNER_NAME_JA,
        INVITEE_EMAIL,
        NEW_EMAIL,
        SESSION_IP,
        SESSION_USER_AGENT,
        PASSWORD,
    ]
    from django_scopes import scopes_disabled

    from terabox_crm.core.models import Membership

    with scopes_disabled():
        membership = Membership.objects.get(workspace=created.workspace, user=owner)
    return World(owner=owner, workspace=created.workspace, membership=membership), canaries


def _check_written(world: World) -> dict[str, int]:
    """Positive control: the services did store the values (decrypting them back)."""
    from django_scopes import scopes_disabled

    from terabox_crm.accounts.models import EmailChange, User, UserSession
    from terabox_crm.audit.models import AuditDetail
    from terabox_crm.communications.models import OutboxEmail
    from terabox_crm.core.models import Invitation

    with scopes_disabled():
        owner = User.objects.get(pk=world.owner.pk)
        assert owner.email == OWNER_EMAIL and owner.display_name == OWNER_NAME_JA  # nosec B101  # a test helper's check
        sessions = list(UserSession.objects.filter(user=owner))
        assert sessions and sessions[0].ip == SESSION_IP  # nosec B101  # a test helper's check
        assert sessions[0].user_agent == SESSION_USER_AGENT  # nosec B101  # a test helper's check
        assert Invitation.objects.get(workspace=world.workspace).email == INVITEE_EMAIL  # nosec B101  # a test helper's check
        assert EmailChange.objects.get(user=owner).new_email == NEW_EMAIL  # nosec B101  # a test helper's check
        bodies = [mail.body_text for mail in OutboxEmail.objects.all()]
        assert any(OWNER_NAME_JA in body for body in bodies), "invitation names the inviter"  # nosec B101  # a test helper's check
        return {
            "outbox": len(bodies),
            "audit_details": AuditDetail.objects.count(),
            "sessions": len(sessions),
        }


def seed(out: Path) -> None:
    """Entry point of the seeding process (see the module docstring)."""
    from terabox_crm.ops.bootstrap import prepare

    prepare()
    from django.conf import settings
    from django_scopes import scope

    from terabox_crm.context import system_context

    _discover_seeders()
    with system_context("cli"):
        world, canaries = _seed_foundation()
        for name, function in sorted(_seeders.items()):
            # As in a request: the workspace's scope is active (django-scopes).
            with scope(workspace=world.workspace):
                written = list(function(world))
            assert written, f"canary seeder {name} wrote nothing"  # nosec B101  # a test helper's check
            canaries += written
        counts = _check_written(world)
    data_dir = Path(settings.DATA_DIR)
    # Scanned now, while this process holds the database open: SQLite keeps
    # the newest pages in the -wal file until the last connection closes.
    live = scan_paths(data_dir, canaries)
    # Control: the workspace name is stored in clear (not personal data), so
    # the same scan must find it in the database files.
    control = sorted({finding.where for finding in scan_paths(data_dir, [WORKSPACE_NAME])})
    result = {
        "control_found_in": control,
        "canaries": canaries,
        "seeders": sorted(_seeders),
        "counts": counts,
        "live_files": scanned_files(data_dir),
        "live_findings": [finding.__dict__ for finding in live],
    }
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":  # python -m terabox_crm.testing.canary seed OUT.json
    if len(sys.argv) != 3 or sys.argv[1] != "seed":
        print("usage: python -m terabox_crm.testing.canary seed OUT.json", file=sys.stderr)
        sys.exit(2)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terabox_crm.settings")
    # Through the importable module, not ``__main__``: the apps' seeders
    # register in ``terabox_crm.testing.canary``'s registry.
    from terabox_crm.testing import canary

    canary.seed(Path(sys.argv[2]))
