"""The security report's "backups" section (S8, S11): the last successful
backup and its age, the last verify and the last restore drill, read from
the evidence the backup commands and the daily job record."""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from terabox_crm.core import evidence
from terabox_crm.core.evidence import FAIL, PASS, WARN, Finding

HOUR = 3600.0
BACKUP_WARN_AFTER = 26 * HOUR  # a daily job that missed one run
BACKUP_FAIL_AFTER = 72 * HOUR
DRILL_WARN_AFTER = 35 * 24 * HOUR  # a drill at least monthly


# ``_(…) % values`` would translate now; the report is shown later, in its reader's language.
_interpolate = lazy(lambda text, values: str(text) % values, str)


def _hours(seconds: float) -> str:
    return f"{seconds / HOUR:.1f}"


def _last_backup() -> Finding:
    last = evidence.latest("backup.created", outcome=PASS)
    latest = evidence.latest("backup.created")
    failed_since = latest is not None and latest.outcome == FAIL
    if last is None:
        return Finding(
            "backup.last",
            "backups",
            FAIL,
            _("No successful backup"),
            _("Run “terabox-crm backup create” and check that the daily job runs."),
            {"last_at": None, "age_seconds": None, "last_failed": failed_since},
        )
    age = evidence.age(last.at)
    status = PASS if age <= BACKUP_WARN_AFTER else WARN if age <= BACKUP_FAIL_AFTER else FAIL
    detail = _interpolate(_("Last successful backup %(hours)s hours ago."), {"hours": _hours(age)})
    if failed_since:
        detail = _interpolate(
            _("The latest backup failed; last successful one %(hours)s hours ago."),
            {"hours": _hours(age)},
        )
        status = WARN if status == PASS else status
    return Finding(
        "backup.last",
        "backups",
        status,
        _("Last backup"),
        detail,
        {
            "last_at": last.at.isoformat(),
            "age_seconds": round(age),
            "archive": last.facts.get("archive"),
            "size": last.facts.get("size"),
            "last_failed": failed_since,
        },
    )


def _last_of(kind: str, check: str, title, missing) -> Finding:
    last = evidence.latest(kind)
    if last is None:
        return Finding(check, "backups", WARN, title, missing, {"last_at": None})
    age = evidence.age(last.at)
    status = last.outcome
    if status == PASS and kind == "backup.restore_drill" and age > DRILL_WARN_AFTER:
        status = WARN
    detail = (
        _("Passed %(hours)s hours ago.")
        if last.outcome == PASS
        else _("Failed %(hours)s hours ago.")
    ) % {"hours": _hours(age)}
    return Finding(
        check,
        "backups",
        status,
        title,
        detail,
        {
            "last_at": last.at.isoformat(),
            "age_seconds": round(age),
            "outcome": last.outcome,
            "archive": last.facts.get("archive"),
        },
    )


def findings() -> list[Finding]:
    return [
        _last_backup(),
        _last_of(
            "backup.verified",
            "backup.verify",
            _("Last backup verification"),
            _("No backup has been verified yet: run “terabox-crm backup verify ARCHIVE”."),
        ),
        _last_of(
            "backup.restore_drill",
            "backup.drill",
            _("Last restore drill"),
            _("No restore drill yet: run “terabox-crm backup verify --drill ARCHIVE”."),
        ),
    ]
