"""The security report's checks owned here (S8, S10), registered with
``core.evidence`` (``register_all`` from ``SecurityReportConfig.ready``).

Each returns ``Finding``s with a pass/warn/fail status, translated text (in
the language active when the report is made) and plain JSON data for
``security report --json``: counts, ids, ages — no personal data. Thresholds
are the documented ones (docs/security.md, "The live security report").
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from terabox_crm.api.models import ApiToken
from terabox_crm.core import evidence
from terabox_crm.core.evidence import FAIL, PASS, WARN, Finding
from terabox_crm.core.roles import MFA_ALWAYS_REQUIRED, Role
from terabox_crm.securityreport import selectors

KEY_MAX_AGE = timedelta(days=365)
VERIFY_MAX_AGE = timedelta(days=7)
CHECKPOINT_MAX_AGE = timedelta(hours=2)


def _days(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds // 86400)


def keys() -> list[Finding]:
    facts = selectors.key_facts(max_age=KEY_MAX_AGE)
    findings = []
    data = {"kek_id": facts.master_kek_id, "source": facts.master_source}
    rotated = evidence.latest("keys.master_rotated")
    if rotated is not None:
        data["last_rotation"] = {
            "at": rotated.at.isoformat(),
            "old_kek_id": rotated.facts.get("old_kek_id"),
        }
    if facts.master_source == "generated":
        status = FAIL if settings.PRODUCTION else WARN
        detail = _(
            "The master key is kept in the data dir, beside the data it protects. Production "
            "takes it from CRM_MASTER_KEY_FILE or a key management service "
            "(CRM_MASTER_KEY_COMMAND)."
        )
    else:
        status = PASS
        detail = _("The master key %(id)s comes from outside the data dir (%(source)s).") % {
            "id": facts.master_kek_id,
            "source": facts.master_source,
        }
    findings.append(Finding("keys.master", "keys", status, _("Master key"), detail, data))

    if facts.foreign:
        findings.append(
            Finding(
                "keys.unreadable",
                "keys",
                FAIL,
                _("Keys this server cannot unwrap"),
                ngettext(
                    "%(n)d data key is wrapped under a master key this server does not hold.",
                    "%(n)d data keys are wrapped under a master key this server does not hold.",
                    facts.foreign,
                )
                % {"n": facts.foreign},
                {"count": facts.foreign},
            )
        )
    if facts.rotation_new_kek_id:
        findings.append(
            Finding(
                "keys.master_rotation",
                "keys",
                WARN,
                _("Master-key rotation under way"),
                _(
                    "Keys are being re-wrapped under master key %(id)s: run "
                    "“terabox-crm keys rotate --master” until it ends."
                )
                % {"id": facts.rotation_new_kek_id},
                {"new_kek_id": facts.rotation_new_kek_id},
            )
        )
    data = {
        "data_keys": facts.data_keys,
        "person_keys": facts.person_keys,
        "older_than_a_year": facts.old_keys,
        "oldest_days": facts.oldest_days,
    }
    if facts.old_keys:
        status = WARN
        detail = ngettext(
            "%(n)d encryption key is more than a year old: rotate it "
            "(terabox-crm keys rotate --all-workspaces --system).",
            "%(n)d encryption keys are more than a year old: rotate them "
            "(terabox-crm keys rotate --all-workspaces --system).",
            facts.old_keys,
        ) % {"n": facts.old_keys}
    else:
        status = PASS
        detail = _("Every encryption key in use is less than a year old.")
    findings.append(Finding("keys.age", "keys", status, _("Data key age"), detail, data))
    return findings


def two_factor(*, workspace_id=None) -> list[Finding]:
    coverage = selectors.mfa_coverage(workspace_id=workspace_id)
    findings = []
    for role in Role:
        total, covered = coverage.get(role.value, (0, 0))
        if not total:
            continue
        percent = covered * 100 // total
        required = role in MFA_ALWAYS_REQUIRED
        status = PASS if covered == total else FAIL if required else WARN
        detail = _("%(covered)d of %(total)d (%(percent)d %%) use two-factor sign-in.") % {
            "covered": covered,
            "total": total,
            "percent": percent,
        }
        if required and covered < total:
            detail += " " + _(
                "Every %(role)s must: they are asked to enrol at their next sign-in."
            ) % {"role": role.label}
        findings.append(
            Finding(
                f"mfa.{role.value}",
                "mfa",
                status,
                _("Two-factor sign-in: %(role)s") % {"role": role.label},
                detail,
                {"role": role.value, "total": total, "covered": covered, "required": required},
            )
        )
    return findings


def accounts(*, workspace_id=None) -> list[Finding]:
    count = selectors.inactive_accounts(workspace_id=workspace_id)
    if count:
        detail = ngettext(
            "%(n)d account has not signed in for 90 days or more: deactivate it if it is not needed.",
            "%(n)d accounts have not signed in for 90 days or more: deactivate those not needed.",
            count,
        ) % {"n": count}
    else:
        detail = _("Every active account signed in within the last 90 days.")
    return [
        Finding(
            "accounts.inactive",
            "accounts",
            WARN if count else PASS,
            _("Inactive accounts"),
            detail,
            {"inactive_90_days": count},
        )
    ]


def token_facts(*, now=None, workspace_id=None) -> dict[str, int]:
    """Usable API tokens (read here, not in ``selectors``: selectors stay
    below the API layer, docs/architecture.md): how many, how many practically never expire (more
    than a year left), how many unused for ``STALE``."""
    now = now or timezone.now()
    cut = now - selectors.STALE
    with scopes_disabled():
        tokens = ApiToken.objects.filter(revoked_at__isnull=True, expires_at__gt=now)
        if workspace_id is not None:
            tokens = tokens.filter(workspace_id=workspace_id)
        return tokens.aggregate(
            live=Count("id"),
            long_lived=Count("id", filter=Q(expires_at__gt=now + timedelta(days=365))),
            unused=Count(
                "id",
                filter=Q(last_used_at__lt=cut) | Q(last_used_at__isnull=True, created_at__lt=cut),
            ),
        )


def tokens(*, workspace_id=None) -> list[Finding]:
    facts = token_facts(workspace_id=workspace_id)
    long_lived, unused = facts["long_lived"], facts["unused"]
    return [
        Finding(
            "tokens.expiry",
            "tokens",
            WARN if long_lived else PASS,
            _("API tokens without a near expiry"),
            ngettext(
                "%(n)d API token expires more than a year from now.",
                "%(n)d API tokens expire more than a year from now.",
                long_lived,
            )
            % {"n": long_lived}
            if long_lived
            else _("Every API token expires within a year."),
            {"live": facts["live"], "expiring_after_a_year": long_lived},
        ),
        Finding(
            "tokens.unused",
            "tokens",
            WARN if unused else PASS,
            _("Unused API tokens"),
            ngettext(
                "%(n)d API token has not been used for 90 days: revoke it if it is not needed.",
                "%(n)d API tokens have not been used for 90 days: revoke those not needed.",
                unused,
            )
            % {"n": unused}
            if unused
            else _("Every API token was used within the last 90 days."),
            {"unused_90_days": unused},
        ),
    ]


def audit_chain() -> list[Finding]:
    verified = evidence.latest("audit.verified")
    if verified is None:
        status, detail, data = (
            WARN,
            _("The audit chain has never been verified: run “terabox-crm audit verify”."),
            {"verified_at": None},
        )
    else:
        seconds = evidence.age(verified.at)
        data = {
            "verified_at": verified.at.isoformat(),
            "outcome": verified.outcome,
            "age_days": _days(seconds),
            **{k: v for k, v in verified.facts.items() if k in {"chains", "events", "broken"}},
        }
        if verified.outcome == FAIL:
            status = FAIL
            detail = _(
                "The last verification found a broken chain: see the security events and "
                "docs/operations.md."
            )
        elif seconds > VERIFY_MAX_AGE.total_seconds():
            status = WARN
            detail = _("The last verification is %(days)d days old: verify at least weekly.") % {
                "days": _days(seconds)
            }
        else:
            status = PASS
            detail = _("The audit chain was verified intact %(days)d day(s) ago.") % {
                "days": _days(seconds)
            }
    findings = [Finding("audit.verified", "audit", status, _("Audit chain"), detail, data)]

    facts = selectors.checkpoint_facts()
    last = facts["last_checkpoint_at"]
    seconds = evidence.age(last)
    data = {
        "last_checkpoint_at": last.isoformat() if last else None,
        "uncovered_events": facts["uncovered_events"],
    }
    stale = facts["uncovered_events"] and (
        last is None or seconds > CHECKPOINT_MAX_AGE.total_seconds()
    )
    if stale and last is None:
        status = WARN
        detail = _(
            "%(n)d event(s) are not yet covered by a signed checkpoint and none has been "
            "signed yet: is the job worker running?"
        ) % {"n": facts["uncovered_events"]}
    elif stale:
        status = WARN
        detail = _(
            "%(n)d event(s) are not yet covered by a signed checkpoint and the last one is "
            "more than two hours old: is the job worker running?"
        ) % {"n": facts["uncovered_events"]}
    elif last is None:
        status, detail = PASS, _("No signed checkpoint yet: nothing to cover.")
    else:
        status = PASS
        detail = _("Last signed checkpoint: %(at)s.") % {
            "at": formats.date_format(timezone.localtime(last), "SHORT_DATETIME_FORMAT")
        }
    findings.append(
        Finding("audit.checkpoint", "audit", status, _("Signed checkpoints"), detail, data)
    )
    return findings


def privacy_requests(*, workspace_id=None) -> list[Finding]:
    facts = selectors.overdue_requests(workspace_id=workspace_id)
    overdue = facts["overdue"]
    return [
        Finding(
            "privacy.dsr_overdue",
            "privacy",
            FAIL if overdue else PASS,
            _("Privacy requests past due"),
            ngettext(
                "%(n)d privacy request is past its due date.",
                "%(n)d privacy requests are past their due date.",
                overdue,
            )
            % {"n": overdue}
            if overdue
            else _("No open privacy request is past its due date."),
            {"open": facts["open"], "overdue": overdue},
        )
    ]


def register_all() -> None:
    # Installation-level: the keys and the audit chain (a workspace owner
    # sees their marks only). Scoped: what a workspace's owners answer for.
    evidence.register_check("keys", keys)
    evidence.register_check("audit", audit_chain)
    for name, check in (
        ("mfa", two_factor),
        ("accounts", accounts),
        ("tokens", tokens),
        ("privacy", privacy_requests),
    ):
        evidence.register_check(name, check, scoped=True)
