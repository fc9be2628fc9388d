"""Retention targets of activities (P5).

* ``contacts.inactive_leads`` — leads with no activity and no change for the
  period are anonymised (``contacts.retention.anonymise``); their activities
  and tasks keep their kind and dates (statistics) but lose their text. It
  lives here because only this app sees both contacts and their activities;
  other apps' activity (tickets, deals) comes through ``registry.activity_sources``.
* ``activities.activities`` — activities that took place more than the period ago.
* ``activities.tasks`` — tasks completed more than the period ago.

Contacts under legal hold, and the activities and tasks on them, are skipped.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from terabox_crm.activities.models import Activity, Task
from terabox_crm.contacts import retention as contact_retention
from terabox_crm.contacts.models import Contact, Stage
from terabox_crm.retention.registry import (
    Action,
    Target,
    activity_sources,
    among,
    delete_rows,
    register,
)


def _leads_pending(*, workspace_id, cutoff, held):
    recent = Activity.objects.filter(contact_id=OuterRef("pk"), occurred_at__gte=cutoff)
    recent_task = Task.objects.filter(contact_id=OuterRef("pk"), updated_at__gte=cutoff)
    active = Exists(recent) | Exists(recent_task)
    for source in activity_sources():  # tickets and deals, registered by their apps
        active |= Exists(source(cutoff))
    leads = Contact.objects.filter(
        workspace_id=workspace_id, stage=Stage.LEAD, updated_at__lt=cutoff
    ).exclude(active)
    if held:
        leads = leads.exclude(pk__in=held)
    return contact_retention.not_anonymised(leads)


def _anonymise_leads(*, workspace_id, ids, action) -> int:
    of_contacts = among("contact_id", ids)
    Activity.objects.filter(of_contacts, workspace_id=workspace_id).update(subject="", body="")
    Task.objects.filter(of_contacts, workspace_id=workspace_id).update(title="", notes="")
    return contact_retention.anonymise(workspace_id=workspace_id, contact_ids=ids)


def _activities_pending(*, workspace_id, cutoff, held):
    rows = Activity.objects.filter(workspace_id=workspace_id, occurred_at__lt=cutoff)
    return rows.exclude(contact_id__in=held) if held else rows


def _tasks_pending(*, workspace_id, cutoff, held):
    rows = Task.objects.filter(
        workspace_id=workspace_id, status=Task.Status.DONE, completed_at__lt=cutoff
    )
    return rows.exclude(contact_id__in=held) if held else rows


register(
    Target(
        code="contacts.inactive_leads",
        label=_("Leads with no activity"),
        help_text=_(
            "Leads not changed and with no activity, task, ticket or deal change for the "
            "period. Anonymising keeps the record, its deals and their amounts, and removes "
            "the person: names, email addresses, phone numbers and the text of their "
            "timeline, tickets, deal names and consent evidence."
        ),
        actions=(Action.ANONYMISE,),
        default_action=Action.ANONYMISE,
        inventory_retention="crm_record",
        default_days=2 * 365,
        pending=_leads_pending,
        apply=_anonymise_leads,
        batch_table=True,
        order=10,
    )
)
register(
    Target(
        code="activities.activities",
        label=_("Past activities"),
        help_text=_(
            "Notes, calls, meetings and emails logged for a date more than the period ago."
        ),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="crm_record",
        pending=_activities_pending,
        apply=delete_rows(Activity),
        order=30,
    )
)
register(
    Target(
        code="activities.tasks",
        label=_("Completed tasks"),
        help_text=_("Tasks completed more than the period ago."),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="crm_record",
        pending=_tasks_pending,
        apply=delete_rows(Task),
        order=31,
    )
)
