"""The security report's line about detection (S7, S8): what detection raised
in the last 24 hours, across the installation, by kind — counts only.

``warn`` when a high-severity event (credential stuffing, one account from
many addresses, a mass read, a denial burst) was raised: someone should
have read the digest and looked at the dashboard; ``pass`` otherwise.
"""

from __future__ import annotations

import datetime

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from terabox_crm.audit.models import AuditEvent
from terabox_crm.core.evidence import PASS, WARN, Finding
from terabox_crm.detection import kinds


def detection_findings(*, workspace_id=None):
    """Detection events of the last day: the installation's, or one workspace's (S8)."""
    since = timezone.now() - datetime.timedelta(hours=24)
    events = AuditEvent.objects.filter(action__startswith=kinds.PREFIX, created_at__gte=since)
    if workspace_id is not None:
        events = events.filter(workspace_id=workspace_id)
    rows = events.values("action").annotate(n=Count("seq")).order_by("action")
    counts = {row["action"].removeprefix(kinds.PREFIX): row["n"] for row in rows}
    high = sum(n for name, n in counts.items() if kinds.PREFIX + name in kinds.HIGH)
    if high:
        detail = ngettext_lazy(
            "%(count)d high-severity detection event in the last 24 hours: see the security "
            "dashboard of the workspaces concerned.",
            "%(count)d high-severity detection events in the last 24 hours: see the security "
            "dashboard of the workspaces concerned.",
            "count",
        ) % {"count": high}
    else:
        detail = _("No high-severity detection event in the last 24 hours.")
    yield Finding(
        check="detection.last_24h",
        section="audit",
        status=WARN if high else PASS,
        title=_("Detection events in the last 24 hours"),
        detail=detail,
        data={"high": high, "by_kind": counts},
    )
