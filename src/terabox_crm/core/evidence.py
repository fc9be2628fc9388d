"""Evidence of kept promises, and the checks the security report runs
(S8, S10, S11; SPEC §6 "the trust centre").

Two halves:

- ``record(kind, outcome, **facts)`` / ``latest(kind)``: the installation's
  record of each check it ran (``core.models.Evidence``). Kinds are dotted
  names owned by the app that records them, e.g. ``backup.created``,
  ``backup.verified``, ``backup.restore_drill``, ``audit.verified``,
  ``keys.master_rotated``. Facts are ids, counts, sizes and times only.
- ``register_check(fn)`` / ``run_checks()``: the security report's sections.
  An app registers, from its ``AppConfig.ready``, a function that returns
  ``Finding``s about what it owns (backups their age, incidents their
  clocks, accounts their two-factor coverage). The report never imports the
  apps it reports on, so an engine can be reported on by a feature app and
  the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

PASS, WARN, FAIL = "pass", "warn", "fail"
OUTCOMES = (PASS, WARN, FAIL)


def record(kind: str, outcome: str, /, **facts: Any):
    """Store one piece of evidence; returns the ``Evidence`` row.

    Written in its own transaction when called outside one, so evidence of a
    failure is kept even when the caller then rolls back its own work.
    """
    from terabox_crm.core.models import Evidence

    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    with transaction.atomic():
        return Evidence.objects.create(kind=kind, outcome=outcome, facts=facts)


def latest(kind: str, *, outcome: str | None = None):
    """The newest evidence of ``kind`` (optionally with ``outcome``), or None."""
    from terabox_crm.core.models import Evidence

    rows = Evidence.objects.filter(kind=kind)
    if outcome is not None:
        rows = rows.filter(outcome=outcome)
    return rows.order_by("-at", "-id").first()


@dataclass(frozen=True)
class Finding:
    """One line of the security report.

    ``check`` is a stable dotted id (``backup.last``, ``mfa.admins``);
    ``section`` groups lines on the page (see ``SECTIONS``); ``title`` and
    ``detail`` are translated text (lazy strings are fine); ``data`` is what
    ``security report --json`` carries for monitoring: plain JSON values, no
    personal data.
    """

    check: str
    section: str
    status: str
    title: Any
    detail: Any = ""
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.status not in OUTCOMES:
            raise ValueError(f"status must be one of {OUTCOMES}, not {self.status!r}")


# The report's sections, in the order they are shown (S8, S10, S11, S13).
SECTIONS = (
    "tls",
    "keys",
    "mfa",
    "accounts",
    "tokens",
    "backups",
    "audit",
    "privacy",
    "incidents",
)

Check = Callable[..., Iterable[Finding]]
_checks: dict[str, Check] = {}
_scoped: set[str] = set()  # checks that can answer for one workspace

# What a workspace's report says of an installation-level check (TLS, keys,
# backups, the audit chain): its mark only — the details count every
# workspace's rows and stay with the operator's ``security report``.
INSTALLATION_LEVEL = _(
    "Checked for the whole installation; the details are in the operator's report "
    "(“terabox-crm security report”)."
)


def register_check(name: str, check: Check, *, scoped: bool = False) -> None:
    """Add (or replace, on reload) the check called ``name``. ``scoped``: it
    takes ``workspace_id`` (None: the whole installation) and then counts
    that workspace's rows only."""
    _checks[name] = check
    if scoped:
        _scoped.add(name)
    else:
        _scoped.discard(name)


def registered_checks() -> dict[str, Check]:
    return dict(_checks)


def _installation_level(finding: Finding) -> Finding:
    return Finding(
        check=finding.check,
        section=finding.section,
        status=finding.status,
        title=finding.title,
        detail=INSTALLATION_LEVEL,
        data={"scope": "installation"},
    )


def _findings(name: str, check: Check, workspace_id) -> list[Finding]:
    if workspace_id is None:
        return list(check())
    if name in _scoped:
        return list(check(workspace_id=workspace_id))
    return [_installation_level(finding) for finding in check()]


def run_checks(*, workspace_id=None) -> list[Finding]:
    """Every registered check's findings, ordered by section.

    ``workspace_id``: the report of one workspace's owners (S8) — scoped
    checks count that workspace's rows only; the others (TLS, keys, backups,
    the audit chain) give their pass/warn/fail mark without their details,
    which describe every workspace. None: the operator's report, the whole
    installation (the CLI ``security report``).

    A check that raises becomes a ``fail`` finding naming it: the report must
    still come out when one of its sources is broken (that is when it matters).
    """
    findings: list[Finding] = []
    for name, check in _checks.items():
        try:
            findings.extend(_findings(name, check, workspace_id))
        except Exception as exc:  # a broken source is itself a finding
            logger.exception("security report check %s failed", name)
            findings.append(
                Finding(
                    check=f"{name}.error",
                    section="audit" if name.startswith("audit") else _section_of(name),
                    status=FAIL,
                    title=name,
                    detail=type(exc).__name__,
                    data={"error": type(exc).__name__},
                )
            )
    order = {s: i for i, s in enumerate(SECTIONS)}
    findings.sort(key=lambda f: order.get(f.section, len(order)))
    return findings


def _section_of(name: str) -> str:
    head = name.split(".", 1)[0]
    return head if head in SECTIONS else SECTIONS[-1]


def age(at) -> float | None:
    """Seconds since ``at`` (None for None), for findings' data."""
    return None if at is None else (timezone.now() - at).total_seconds()
