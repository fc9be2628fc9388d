"""Reads for the security dashboard (S7): security events by kind over time.

One aggregate query per chart, whatever the number of events: the events of
one workspace's chain (never another's, never the system chain) grouped by
kind and by hour or day in the workspace's time zone, on the chain index.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terabox_crm.audit import actions
from terabox_crm.audit.models import AuditEvent
from terabox_crm.detection import kinds

# period: (label, number of buckets, bucket unit)
PERIODS = {
    "24h": (_("Last 24 hours"), 24, "hour"),
    "7d": (_("Last 7 days"), 7, "day"),
    "30d": (_("Last 30 days"), 30, "day"),
}
DEFAULT_PERIOD = "7d"


@dataclass
class Series:
    action: str
    label: str
    counts: list[int]
    high: bool

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class Chart:
    buckets: list[datetime.datetime]
    unit: str
    series: list[Series]

    @property
    def total(self) -> int:
        return sum(s.total for s in self.series)


def security_kinds() -> list[tuple[str, str]]:
    """Every registered security event type as ``(action, label)``, by label."""
    return sorted(
        (
            (action, str(event_type.label))
            for action, event_type in actions.all_types().items()
            if event_type.is_security
        ),
        key=lambda pair: pair[1],
    )


def _buckets(period: str, moment: datetime.datetime) -> tuple[list[datetime.datetime], str]:
    _label, count, unit = PERIODS[period]
    local = timezone.localtime(moment)
    if unit == "hour":
        last = local.replace(minute=0, second=0, microsecond=0)
        step = datetime.timedelta(hours=1)
    else:
        last = local.replace(hour=0, minute=0, second=0, microsecond=0)
        step = datetime.timedelta(days=1)
    return [last - step * i for i in range(count - 1, -1, -1)], unit


def chart(*, workspace, period: str = DEFAULT_PERIOD, action: str = "", moment=None) -> Chart:
    """Security events of ``workspace`` per kind and bucket over ``period``."""
    moment = moment or timezone.now()
    buckets, unit = _buckets(period, moment)
    qs = AuditEvent.objects.filter(
        chain=str(workspace.pk), created_at__gte=buckets[0], action__startswith="security."
    )
    if action:
        qs = qs.filter(action=action)
    rows = (
        qs.annotate(bucket=Trunc("created_at", unit, tzinfo=timezone.get_current_timezone()))
        .values("bucket", "action")
        .annotate(n=Count("seq"))
        .order_by()
    )
    index = {bucket: i for i, bucket in enumerate(buckets)}
    counts: dict[str, list[int]] = {}
    for row in rows:
        position = index.get(timezone.localtime(row["bucket"]))
        if position is None:
            continue
        counts.setdefault(row["action"], [0] * len(buckets))[position] += row["n"]
    series = [
        Series(name, actions.label(name), values, name in kinds.HIGH)
        for name, values in counts.items()
    ]
    series.sort(key=lambda s: (-s.total, s.label))
    return Chart(buckets, unit, series)
