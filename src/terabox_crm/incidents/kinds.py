"""In-app notification kinds of the incidents app."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy

from terabox_crm.notifications import kinds


def _incident(notification) -> str:
    return reverse("incidents:detail", args=[notification.params["incident_id"]])


def _notice(notification) -> str:
    return reverse("incidents:notice", args=[notification.params["incident_id"]])


def register_all() -> None:
    kinds.register(
        "incidents.drafted",
        message=gettext_lazy(
            "A member reported activity on their account as not theirs: an incident was drafted in %(workspace)s."
        ),
        params=("incident_id",),
        link=_incident,
        about_workspace=True,
    )
    kinds.register(
        "incidents.notice",
        message=gettext_lazy(
            "Important: a security incident in %(workspace)s may have concerned your data. Read the notice."
        ),
        params=("incident_id",),
        link=_notice,
        about_workspace=True,
    )
