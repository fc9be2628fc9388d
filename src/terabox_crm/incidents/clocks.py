"""The regulatory clocks of an incident (S13), counted from its detection.

* APPI preliminary report to the PPC (速報): "promptly", in practice 3 to 5
  days (個人情報保護法施行規則 第7条・第8条; PPC guidelines). Default
  ``CRM_INCIDENT_PRELIMINARY_DAYS`` (3), set per incident from 1 to 5.
* APPI final report (確報): 30 days, 60 when the leak was caused with
  malicious intent (unauthorised access, theft).
* GDPR Art. 33: the supervisory authority within 72 hours.

A clock stops when its report is marked as submitted, or when it does not
apply to the incident (``appi_applies``, ``gdpr_applies``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from terabox_crm.support import sla

PRELIMINARY_MIN, PRELIMINARY_MAX = 1, 5
DUE_SOON = timedelta(hours=24)

APPI_PRELIMINARY = "appi_preliminary"
APPI_FINAL = "appi_final"
GDPR = "gdpr"

LABELS = {
    APPI_PRELIMINARY: _("APPI preliminary report to the PPC"),
    APPI_FINAL: _("APPI final report to the PPC"),
    GDPR: _("GDPR notification to the supervisory authority"),
}
# The report's short name, for a line that says what is due next (「速報まで残り2日」).
SHORT_LABELS = {
    APPI_PRELIMINARY: pgettext_lazy("report", "Preliminary report"),
    APPI_FINAL: pgettext_lazy("report", "Final report"),
    GDPR: pgettext_lazy("report", "GDPR notification"),
}
REPORTED_FIELD = {
    APPI_PRELIMINARY: "preliminary_reported_at",
    APPI_FINAL: "final_reported_at",
    GDPR: "gdpr_reported_at",
}

DONE, OVERDUE, DUE_SOON_STATE, RUNNING, NOT_APPLICABLE = (
    "done",
    "overdue",
    "due_soon",
    "running",
    "not_applicable",
)
STATE_LABELS = {
    DONE: pgettext_lazy("report deadline", "Reported"),
    OVERDUE: pgettext_lazy("report deadline", "Overdue"),
    DUE_SOON_STATE: pgettext_lazy("report deadline", "Due soon"),
    RUNNING: pgettext_lazy("report deadline", "Running"),
    NOT_APPLICABLE: pgettext_lazy("report deadline", "Does not apply"),
}


def default_preliminary_days() -> int:
    days = int(getattr(settings, "INCIDENT_PRELIMINARY_DAYS", 3))
    return min(max(days, PRELIMINARY_MIN), PRELIMINARY_MAX)


@dataclass(frozen=True)
class Clock:
    code: str
    due_at: datetime
    done_at: datetime | None
    state: str
    left: timedelta  # negative when overdue

    @property
    def label(self):
        return LABELS[self.code]

    @property
    def state_label(self):
        return STATE_LABELS[self.state]

    @property
    def running(self) -> bool:
        return self.state in (OVERDUE, DUE_SOON_STATE, RUNNING)

    @property
    def hours_left(self) -> int:
        return int(self.left.total_seconds() // 3600)

    @property
    def short_label(self):
        return SHORT_LABELS[self.code]

    @property
    def due_words(self) -> str:
        """What is due and when, in one line: "Preliminary report due in 2
        days" / 「速報まで残り2日」, "… 3 hours overdue" / 「速報の期限を3時間超過」:
        minutes under an hour, hours under two days, then days (as
        ``remaining``)."""
        seconds = self.left.total_seconds()
        late, span = seconds < 0, abs(seconds)
        report = self.short_label
        if span < 3600:
            n = max(1, int(span // 60))
            if late:
                text = ngettext(
                    "%(report)s %(n)d minute overdue", "%(report)s %(n)d minutes overdue", n
                )
            else:
                text = ngettext(
                    "%(report)s due in %(n)d minute", "%(report)s due in %(n)d minutes", n
                )
        elif span < 48 * 3600:
            n = int(span // 3600)
            if late:
                text = ngettext(
                    "%(report)s %(n)d hour overdue", "%(report)s %(n)d hours overdue", n
                )
            else:
                text = ngettext("%(report)s due in %(n)d hour", "%(report)s due in %(n)d hours", n)
        else:
            n = int(span // 86400)
            if late:
                text = ngettext("%(report)s %(n)d day overdue", "%(report)s %(n)d days overdue", n)
            else:
                text = ngettext("%(report)s due in %(n)d day", "%(report)s due in %(n)d days", n)
        return text % {"report": report, "n": n}

    @property
    def remaining(self) -> str:
        """「残り2日」/ "47 hours left", 「3時間超過」: the ticket SLA's words
        (``support.sla.in_words``), not ``timeuntil``'s "2日, 23時間"."""
        return sla.in_words(self.left.total_seconds())


def applies(incident, code: str) -> bool:
    return incident.gdpr_applies if code == GDPR else incident.appi_applies


def clocks(incident, now: datetime | None = None) -> list[Clock]:
    now = now or timezone.now()
    found = []
    for code in (GDPR, APPI_PRELIMINARY, APPI_FINAL):
        due = incident.due(code)
        done = getattr(incident, REPORTED_FIELD[code])
        if not applies(incident, code):
            state = NOT_APPLICABLE
        elif done is not None:
            state = DONE
        elif now > due:
            state = OVERDUE
        elif due - now <= DUE_SOON:
            state = DUE_SOON_STATE
        else:
            state = RUNNING
        found.append(Clock(code, due, done, state, due - now))
    return found


def next_due(found: list[Clock]) -> Clock | None:
    """The running clock that ends first (an overdue one before any other):
    what the register shows for an incident."""
    running = [clock for clock in found if clock.running]
    return min(running, key=lambda clock: clock.due_at) if running else None
