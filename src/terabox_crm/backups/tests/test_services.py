"""Backups through the services on the test run's own database (S11):
create, verify, list, bad archives, the refusal to restore over data, the
daily/weekly window, the daily job and the security report's findings.
The full restore drill runs as a process: tests/test_backup_process.py."""

from __future__ import annotations

import base64
import secrets
import stat
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.backups import checks, services, tasks
from terabox_crm.backups.archive import ArchiveError
from terabox_crm.core import evidence
from terabox_crm.core.models import Evidence, Workspace
from terabox_crm.crypto import keyring

# Autocommit: a snapshot sees what is committed, as in the CLI and the job (and the
# in-memory SQLite test database would stay locked by an open test transaction).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backup_dir(tmp_path, settings):
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings.BACKUP_DIR


def _events(action: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_create_writes_a_private_archive_and_records_it(backup_dir, cast):
    created = services.create()
    assert created.path.parent == backup_dir and created.path.name.endswith(".tbxbak")
    assert stat.S_IMODE(created.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    assert [p.name for p in backup_dir.iterdir()] == [created.path.name]  # no scratch left
    manifest = created.manifest
    assert manifest["master_key_id"] == keyring.kek()[0]
    assert manifest["engine"] in {"sqlite", "postgresql"}
    assert manifest["migrations"]["core"].startswith("00")
    assert manifest["files"][0]["name"].startswith("database.")
    assert manifest["files"][0]["size"] > 10_000
    last = evidence.latest("backup.created")
    assert last.outcome == evidence.PASS and last.facts["archive"] == created.path.name
    (event,) = _events("backup.created")
    assert event.chain == "system" and event.payload["archive"] == created.path.name


def test_verify_checks_without_restoring_and_list_shows_the_state(backup_dir, cast):
    created = services.create()
    (listed,) = services.list_archives()
    assert listed.state == "unverified" and listed.size == created.path.stat().st_size
    assert listed.age_seconds is not None and listed.age_seconds < 120

    verified = services.verify(created.path)
    assert verified.check in {"integrity_check ok"} or verified.check.startswith(
        "pg_restore --list: "
    )
    assert verified.manifest["ciphertext_sha256"] == created.manifest["ciphertext_sha256"]
    (listed,) = services.list_archives()
    assert listed.state == "verified"
    assert evidence.latest("backup.verified").outcome == evidence.PASS
    with scopes_disabled():
        assert Workspace.objects.count() == 2  # nothing restored


def _flip(path, offset_from_end: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if offset_from_end is None else -offset_from_end] ^= 0x40
    path.write_bytes(bytes(data))


def test_a_tampered_archive_is_rejected_with_a_security_event(backup_dir, cast):
    created = services.create()
    _flip(created.path)
    with pytest.raises(ArchiveError, match="failed authentication") as caught:
        services.verify(created.path)
    assert caught.value.reason == "tampered"
    (event,) = _events("security.backup.rejected")
    assert event.payload["reason"] == "tampered" and event.payload["operation"] == "verify"
    assert evidence.latest("backup.verified").outcome == evidence.FAIL
    assert services.list_archives()[0].state == "corrupt"


def test_a_truncated_archive_is_rejected(backup_dir, cast):
    created = services.create()
    data = created.path.read_bytes()
    created.path.write_bytes(data[: len(data) // 3])
    assert services.list_archives()[0].state == "corrupt"  # no trailer: seen without the key
    with pytest.raises(ArchiveError, match="truncated") as caught:
        services.verify(created.path)
    assert caught.value.reason == "truncated"
    assert _events("security.backup.rejected")[0].payload["reason"] == "truncated"


def test_an_archive_of_another_master_key_names_the_key_it_needs(backup_dir, cast):
    created = services.create()
    needed = created.manifest["master_key_id"]
    other = secrets.token_bytes(32)
    keyring.reset_cache()
    keyring._kek = (
        keyring.kek_id_of(other),
        other,
    )  # as with CRM_MASTER_KEY of another installation
    with pytest.raises(ArchiveError) as caught:
        services.verify(created.path)
    assert caught.value.reason == "other_key"
    assert needed in str(caught.value) and keyring.kek_id_of(other) in str(caught.value)
    assert base64.b64encode(other).decode() not in str(caught.value)


def test_restore_over_a_database_with_data_is_refused_and_changes_nothing(backup_dir, cast):
    created = services.create()
    with scopes_disabled():
        before = (Workspace.objects.count(), AuditEvent.objects.exclude(chain="system").count())
    with pytest.raises(services.RestoreRefused, match="not empty") as caught:
        services.restore(created.path)
    assert "--force" in str(caught.value) and "nothing was changed" in str(caught.value)
    with scopes_disabled():
        after = (Workspace.objects.count(), AuditEvent.objects.exclude(chain="system").count())
    assert after == before
    (event,) = _events("security.backup.restore_refused")
    assert event.payload["workspaces"] == 2 and event.payload["users"] >= 6
    assert evidence.latest("backup.restored") is None


def _stamp(day: datetime) -> str:
    return f"tbx-{day:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}.tbxbak"


def test_the_window_keeps_seven_daily_and_four_weekly():
    start = datetime(2026, 10, 1, 2, 10, tzinfo=UTC)  # a Thursday
    stamped = []
    for n in range(60):
        day = start + timedelta(days=n)
        stamped.append((_stamp(day), day))
        # a second, earlier backup that day (a manual one): only the newest counts
        stamped.append((_stamp(day - timedelta(hours=1)), day - timedelta(hours=1)))
    keep = services.select_keep(stamped, daily=7, weekly=4)
    kept_days = sorted(at for name, at in stamped if name in keep)
    newest = start + timedelta(days=59)  # Sunday 29 November 2026
    daily = [newest - timedelta(days=n) for n in range(7)]
    # The newest of each of the last four ISO weeks: the Sundays of weeks 48, 47, 46, 45.
    weekly = [newest - timedelta(weeks=n) for n in range(4)]
    assert kept_days == sorted(set(daily) | set(weekly))
    assert len(keep) == 10


def test_prune_deletes_archives_outside_the_window(backup_dir):
    backup_dir.mkdir(mode=0o700)
    now = datetime.now(UTC).replace(hour=2, minute=10, second=0, microsecond=0)
    for n in range(40):
        path = backup_dir / _stamp(now - timedelta(days=n))
        path.write_bytes(b"x")
        (backup_dir / f".{path.name}.state.json").write_text("{}")
    removed = services.prune(daily=7, weekly=4)
    left = sorted(p.name for p in backup_dir.glob("*.tbxbak"))
    assert 7 <= len(left) <= 10 and len(removed) == 40 - len(left)
    assert len(list(backup_dir.glob(".*.state.json"))) == len(left)
    assert _stamp(now)[:20] in " ".join(left)  # today's is kept


def test_the_daily_job_backs_up_then_prunes(backup_dir, cast, settings):
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY = 2, 0
    backup_dir.mkdir(mode=0o700)
    # Daily = the newest archive of each of the last N days that have one (as restic counts).
    old = [backup_dir / _stamp(datetime.now(UTC) - timedelta(days=n)) for n in (3, 4, 5)]
    for path in old:
        path.write_bytes(b"x")
    name = tasks.daily_backup()
    assert name and (backup_dir / name).exists()
    assert [path.exists() for path in old] == [True, False, False]
    assert evidence.latest("backup.created").facts["trigger"] == "job"


def _evidence(kind: str, outcome: str, hours_ago: float) -> None:
    Evidence.objects.create(
        kind=kind,
        outcome=outcome,
        facts={"archive": "a.tbxbak"},
        at=timezone.now() - timedelta(hours=hours_ago),
    )


def _by_check() -> dict:
    return {finding.check: finding for finding in checks.findings()}


def test_the_report_fails_without_a_backup():
    found = _by_check()
    assert found["backup.last"].status == evidence.FAIL
    assert found["backup.verify"].status == evidence.WARN
    assert found["backup.drill"].status == evidence.WARN
    assert all(f.section == "backups" for f in found.values())


@pytest.mark.parametrize(
    ("hours", "status"), [(1, evidence.PASS), (30, evidence.WARN), (80, evidence.FAIL)]
)
def test_the_report_judges_the_age_of_the_last_backup(hours, status):
    _evidence("backup.created", evidence.PASS, hours)
    finding = _by_check()["backup.last"]
    assert finding.status == status
    assert finding.data["age_seconds"] == pytest.approx(hours * 3600, abs=5)


def test_the_report_shows_a_failed_backup_after_a_good_one():
    _evidence("backup.created", evidence.PASS, 2)
    _evidence("backup.created", evidence.FAIL, 1)
    finding = _by_check()["backup.last"]
    assert finding.status == evidence.WARN and finding.data["last_failed"] is True


def test_the_report_shows_the_last_verify_and_drill_in_both_languages():
    _evidence("backup.verified", evidence.FAIL, 1)
    _evidence("backup.restore_drill", evidence.PASS, 2)
    found = _by_check()
    assert found["backup.verify"].status == evidence.FAIL
    assert found["backup.drill"].status == evidence.PASS
    with translation.override("ja"):
        assert str(found["backup.drill"].title) == "最後の復元訓練"
        assert str(found["backup.drill"].detail) == "2.0時間前に合格しました。"
    with translation.override("en"):
        assert str(found["backup.drill"].title) == "Last restore drill"
    assert "backups" in evidence.registered_checks()


def test_an_old_drill_is_a_warning():
    _evidence("backup.restore_drill", evidence.PASS, 40 * 24)
    assert _by_check()["backup.drill"].status == evidence.WARN
