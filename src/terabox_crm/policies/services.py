"""Publishing a policy version and accepting one (P10).

Publishing is an installation operator's act (the command line,
``terabox-crm policies publish``): the public pages speak for the whole
installation, so no workspace role may publish. A version needs at least
``CRM_POLICY_NOTICE_DAYS`` days of notice: its notice goes out that long
before it takes effect, and a shorter lead time is refused with the earliest
date it could take effect, nothing stored.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from terabox_crm import audit
from terabox_crm.accounts import audit as account_audit
from terabox_crm.policies import config, selectors
from terabox_crm.policies.models import PolicyAcceptance, PolicyVersion
from terabox_crm.refusals import Refusal

AUDIT_EVENTS = {
    "policies.version.published": _("Policy version published"),
    "policies.version.accepted": _("Policy version accepted"),
    "policies.notice.sent": _("Notice of a policy change sent"),
    "policies.processing.exported": _("Record of processing exported"),
}


def _refuse(message, *, code: str, field: str | None = None, **params) -> Refusal:
    return Refusal(message, code=code, field=field, params=params)


@transaction.atomic
def version_publish(
    *,
    kind: str,
    body_ja: str,
    body_en: str,
    effective_at: datetime,
    summary_ja: str = "",
    summary_en: str = "",
    actor=None,
    now: datetime | None = None,
) -> PolicyVersion:
    """Publish the next version of ``kind``, taking effect at ``effective_at``.

    Refused (nothing stored) when a text is missing, when the notice is
    shorter than ``CRM_POLICY_NOTICE_DAYS``, or when it would take effect
    before a version already published.
    """
    now = now or timezone.now()
    try:
        kind = PolicyVersion.Kind(kind).value
    except ValueError:
        raise _refuse(
            _("Choose which policy: privacy or security."), code="policy_kind_unknown", field="kind"
        ) from None
    if not body_ja.strip() or not body_en.strip():
        raise _refuse(
            _("A policy version needs its text in both Japanese and English."),
            code="policy_text_missing",
            field="body_ja" if not body_ja.strip() else "body_en",
        )
    if timezone.is_naive(effective_at):
        effective_at = timezone.make_aware(effective_at)
    earliest = now + config.notice_period()
    if effective_at < earliest:
        raise _refuse(
            _(
                "A new policy version needs at least %(days)s days' notice before it takes "
                "effect. It can take effect on %(earliest)s at the earliest."
            ),
            code="policy_notice_too_short",
            field="effective_at",
            days=config.notice_period().days,
            earliest=formats.date_format(timezone.localtime(earliest), "DATE_FORMAT"),
        )
    latest = (
        PolicyVersion.objects.select_for_update()
        .filter(kind=kind, published_at__isnull=False)
        .order_by("-effective_at")
        .first()
    )
    if latest is not None and effective_at <= latest.effective_at:
        raise _refuse(
            _(
                "Version %(number)s already takes effect on %(date)s: a new version must "
                "take effect after it."
            ),
            code="policy_effective_before_latest",
            field="effective_at",
            number=latest.number,
            date=formats.date_format(timezone.localtime(latest.effective_at), "DATE_FORMAT"),
        )
    number = (PolicyVersion.objects.filter(kind=kind).aggregate(n=Max("number"))["n"] or 0) + 1
    version = PolicyVersion.objects.create(
        kind=kind,
        number=number,
        effective_at=effective_at,
        published_at=now,
        body_ja=body_ja,
        body_en=body_en,
        summary_ja=summary_ja,
        summary_en=summary_en,
    )
    audit.record(
        "policies.version.published",
        actor=actor,
        obj=version,
        payload={"kind": kind, "number": number, "effective_at": effective_at.isoformat()},
    )
    transaction.on_commit(selectors.forget_cached)
    return version


def pending_for(user, *, at: datetime | None = None) -> list[PolicyVersion]:
    """The versions in force that ``user`` has still to accept.

    A version counts only if it took effect after the user joined: whoever
    joins accepts the versions then in force by joining (the sign-up and
    invitation pages are under the policies), so a new account is never
    asked again, and a fresh test database's users have nothing to accept.
    """
    versions = [
        version
        for version in selectors.versions_in_force(at=at)
        if version.effective_at > user.date_joined
    ]
    if not versions:
        return []
    accepted = set(
        PolicyAcceptance.objects.filter(user=user, version__in=versions).values_list(
            "version_id", flat=True
        )
    )
    return [version for version in versions if version.pk not in accepted]


@transaction.atomic
def versions_accept(*, actor, versions: list[PolicyVersion], ip: str = "", request=None) -> int:
    """Record that ``actor`` (a user) accepted ``versions``; each once. Returns
    how many acceptances were new."""
    created = 0
    for version in versions:
        if not version.is_published or version.effective_at > timezone.now():
            raise _refuse(_("This policy version is not in force yet."), code="policy_not_in_force")
        _acceptance, new = PolicyAcceptance.objects.get_or_create(
            user=actor, version=version, defaults={"ip": ip}
        )
        if new:
            created += 1
            account_audit.record(
                "policies.version.accepted",
                user=actor,
                request=request,
                obj=version,
                payload={"kind": version.kind, "number": version.number},
            )
    return created
