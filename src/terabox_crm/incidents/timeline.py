"""The timeline entries the system writes on an incident (S13), read in the
reader's language.

A person's entry is kept as they wrote it. An entry the system writes (a
report marked as submitted, the campaign sent, the public notice published
or withdrawn, a "this wasn't me" report) is kept as its kind and its values,
and made into a sentence when it is read: a team reading in Japanese and in
English sees each of these entries in its own language, whoever's action
wrote it. The values are kept in the entry's encrypted text, as JSON.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from terabox_crm.incidents import clocks

REPORT_SUBMITTED = "report_submitted"
CAMPAIGN_SENT = "campaign_sent"
NOTICE_PUBLISHED = "notice_published"
NOTICE_WITHDRAWN = "notice_withdrawn"
NOT_ME = "not_me"
KINDS = (REPORT_SUBMITTED, CAMPAIGN_SENT, NOTICE_PUBLISHED, NOTICE_WITHDRAWN, NOT_ME)


def stored(values: dict) -> str:
    return json.dumps(values, sort_keys=True)


def sentence(kind: str, stored_values: str) -> str:
    """The entry of ``kind`` in the active language."""
    values = json.loads(stored_values or "{}")
    if kind == REPORT_SUBMITTED:
        return _("%(report)s marked as submitted.") % {"report": clocks.LABELS[values["report"]]}
    if kind == CAMPAIGN_SENT:
        return _("Notification sent: %(emails)d emails queued, %(refused)d not sent.") % {
            "emails": values["emails"],
            "refused": values["refused"],
        }
    if kind == NOTICE_PUBLISHED:
        return _("Public notice published.")
    if kind == NOTICE_WITHDRAWN:
        return _("Public notice withdrawn.")
    if kind == NOT_ME:
        via = (
            _("the link in the new-device email")
            if values["via"] == "email"
            else _("the account menu")
        )
        return _(
            "The account holder reported activity that was not theirs, from %(via)s. "
            "%(sessions)d sessions were ended and a password reset was forced."
        ) % {"via": via, "sessions": values["sessions"]}
    raise ValueError(f"unknown timeline entry kind {kind!r}")
