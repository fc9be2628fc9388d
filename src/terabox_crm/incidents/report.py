"""The report draft (S13): the fields the PPC's report form asks for
(個人情報保護委員会「漏えい等報告」), filled from the register, to print or
copy — the report itself is submitted by a person, on the PPC's site.

The same sections serve the GDPR notification (Art. 33(3): nature, people
and records concerned, consequences, measures). Text only: the page and the
``.txt`` download render the same ``sections``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from terabox_crm.incidents import clocks
from terabox_crm.incidents.models import (
    AffectedItem,
    AffectedKind,
    Decision,
    Delivery,
    DeliveryState,
)
from terabox_crm.inventory import Category


@dataclass(frozen=True)
class Section:
    number: int
    title: str
    text: str


def _when(value, missing=None) -> str:
    # In the installation's time zone, as every page shows it (the date
    # filter converts; ``date_format`` alone would print UTC). A moment not
    # given says "not yet" (notified: 未実施) or ``missing`` (a period's
    # ends are not recorded, not "not carried out").
    if not value:
        return str(missing) if missing is not None else _("not yet")
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def people_counts(incident) -> dict[str, int]:
    """Included people and users (the number the report gives)."""
    counts = dict(
        AffectedItem.objects.filter(incident=incident, decision=Decision.INCLUDED)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {kind: counts.get(kind, 0) for kind in AffectedKind.values}


def delivery_counts(incident) -> dict[str, int]:
    counts = dict(
        Delivery.objects.filter(incident=incident, channel="email")
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {state: counts.get(state, 0) for state in DeliveryState.values}


def sections(incident, language: str) -> list[Section]:
    with translation.override(language):
        people = people_counts(incident)
        deliveries = delivery_counts(incident)
        categories = ", ".join(str(Category(value).label) for value in incident.data_categories)
        found = [
            (
                _("Summary of what happened"),
                "\n".join(
                    [
                        _("Detected: %(when)s") % {"when": _when(incident.detected_at)},
                        _("Period: %(start)s – %(end)s")
                        % {
                            "start": _when(incident.window_start, _("not yet recorded")),
                            "end": _when(incident.window_end, _("not yet recorded")),
                        },
                        _("Systems affected: %(systems)s")
                        % {"systems": incident.systems_affected or _("not yet recorded")},
                        "",
                        incident.description or _("Not yet recorded."),
                    ]
                ),
            ),
            (
                _("Personal data concerned and number of people"),
                "\n".join(
                    [
                        _("Categories of data: %(categories)s")
                        % {"categories": categories or _("not yet recorded")},
                        _("People (contacts): %(count)d") % {"count": people[AffectedKind.PERSON]},
                        _("Users: %(count)d") % {"count": people[AffectedKind.USER]},
                        _("Other records: %(count)d") % {"count": people[AffectedKind.RECORD]},
                    ]
                ),
            ),
            (_("Cause"), incident.cause or _("Not yet recorded.")),
            (
                _("Risk of secondary damage"),
                incident.secondary_risk or _("Not yet recorded."),
            ),
            (
                _("Notification of the people concerned"),
                "\n".join(
                    [
                        _("Notified: %(when)s") % {"when": _when(incident.notified_at)},
                        _(
                            "Emails delivered: %(sent)d, waiting: %(queued)d, failed: %(failed)d, not sent: %(refused)d"
                        )
                        % deliveries,
                        _("Public notice: %(when)s")
                        % {"when": _when(incident.notice_published_at)},
                    ]
                ),
            ),
            (
                _("Measures taken and to prevent recurrence"),
                "\n\n".join(part for part in (incident.actions_taken, incident.measures) if part)
                or _("Not yet recorded."),
            ),
            (
                _("Reports and deadlines"),
                "\n".join(
                    _("%(clock)s: due %(due)s — %(state)s")
                    % {
                        "clock": clock.label,
                        "due": _when(clock.due_at),
                        "state": clock.state_label,
                    }
                    for clock in clocks.clocks(incident)
                ),
            ),
        ]
        return [Section(number, str(title), text) for number, (title, text) in enumerate(found, 1)]


def as_text(incident, language: str) -> str:
    with translation.override(language):
        heading = _("Incident #%(number)d: report draft") % {"number": incident.number}
        lines = [heading, "=" * 40, incident.title, ""]
    for section in sections(incident, language):
        lines += [f"{section.number}. {section.title}", section.text, ""]
    return "\n".join(lines)
