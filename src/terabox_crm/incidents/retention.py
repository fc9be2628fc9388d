"""Retention target of the incident register (P5, S13): closed incidents.

The register is the record the APPI and GDPR Art. 33(5) expect a controller
to keep; a closed incident goes, with its timeline, who it affected and its
deliveries, once the period (the audit trail's 5 years by default) has
passed since it was closed — unless a person it affected is under legal
hold. Off until an admin turns the rule on.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.incidents.models import Incident, Status
from terabox_crm.retention.registry import Action, Target, register


def _pending(*, workspace_id, cutoff, held):
    incidents = Incident.objects.filter(
        workspace_id=workspace_id, status=Status.CLOSED, closed_at__lt=cutoff
    )
    if held:
        # A person under legal hold keeps the incidents that affected them.
        incidents = incidents.exclude(
            affected__object_type="contacts.contact",
            affected__object_id__in=[str(subject) for subject in held],
        )
    return incidents


def _delete(*, workspace_id, ids, action) -> int:
    incidents = Incident.objects.filter(workspace_id=workspace_id, pk__in=ids)
    count = incidents.count()
    incidents.delete()  # timeline, affected items and deliveries go with them
    return count


register(
    Target(
        code="incidents.closed",
        label=_("Closed incidents"),
        help_text=_(
            "Closed incidents with their timeline, who they affected and the notifications "
            "sent, counted from when they were closed."
        ),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="audit",
        pending=_pending,
        apply=_delete,
        order=90,
    )
)
