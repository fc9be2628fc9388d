"""Retention target of deals (P5; docs/privacy-retention.md).

* ``deals.closed_deals`` — deals won or lost more than the period ago are
  anonymised: the person goes, the business record stays. Like the deals
  app's part of an erasure (``deals/erasure.py``), the link to the contact
  is removed, the name (which often names the person, "山田様 追加契約")
  becomes a dash, the won or lost reason (free text that may name them) is
  cleared and the name's search terms are deleted; amount, currency,
  pipeline, stage, dates, probability, company and owner stay, so pipeline
  totals and won/lost figures do not move. ``anonymised_at`` marks the row
  so a later run passes it by.

Deals of contacts under legal hold are skipped. Off by default (a CRM
record has no period in the inventory): an admin turns it on.

Two registrations for the rules about contacts (``retention.registry``):

* a deal changed within the period is activity on its contact: a lead whose
  deal moved last week is not a lead "with no activity";
* when a rule anonymises a contact, its deals lose their name (a dash), won
  or lost reason and the name's search terms, as above; they keep the link
  to the (now nameless) contact, so the figures per contact stay.
"""

from __future__ import annotations

from django.db.models import OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terabox_crm.crypto.models import SearchTerm
from terabox_crm.deals.erasure import ERASED_NAME
from terabox_crm.deals.models import Deal, Stage
from terabox_crm.retention.registry import (
    Action,
    Target,
    among,
    register,
    register_activity_source,
    register_person_part,
)

CLOSED = (Stage.Kind.WON, Stage.Kind.LOST)


def _pending(*, workspace_id, cutoff, held):
    deals = Deal.objects.filter(
        workspace_id=workspace_id,
        stage__kind__in=CLOSED,
        closed_at__lt=cutoff,
        anonymised_at__isnull=True,
    )
    if held:
        deals = deals.exclude(Q(contact_id__in=held))
    return deals


def _blank(deals: list[Deal], *, workspace_id, unlink: bool) -> None:
    """Name and reason blanked; ``unlink``: the deal rule's own anonymising,
    which also drops the contact link and marks the deal done. A contact's
    anonymising leaves both, so the deal rule still applies to it later."""
    # Each name is encrypted for its own row (the row id is bound into the
    # ciphertext), so the dash is written row by row; the rest is set-based.
    now = timezone.now()
    fields = ["name", "close_reason"] + (["contact", "anonymised_at"] if unlink else [])
    for deal in deals:
        deal.name = ERASED_NAME
        deal.close_reason = ""
        if unlink:
            deal.contact_id = None
            deal.anonymised_at = now
        deal.save(update_fields=fields)
    SearchTerm.objects.filter(
        workspace_id=workspace_id, object_id__in=[deal.pk for deal in deals]
    ).delete()


def _anonymise(*, workspace_id, ids, action) -> int:
    deals = list(Deal.objects.filter(workspace_id=workspace_id, pk__in=list(ids)))
    _blank(deals, workspace_id=workspace_id, unlink=True)
    return len(deals)


def _recent_deals(cutoff):
    return Deal.objects.filter(contact_id=OuterRef("pk"), updated_at__gte=cutoff)


def _remove_deal_words(*, workspace_id, contact_ids) -> None:
    """One query when the batch's people have no deal left to blank."""
    # Unordered: the model's ordering made SQLite walk the workspace's
    # ``deal_recent`` index instead of searching ``deal_contact`` per id.
    deals = list(
        Deal.objects.filter(among("contact_id", contact_ids), workspace_id=workspace_id).order_by()
    )
    if deals:
        _blank(deals, workspace_id=workspace_id, unlink=False)


register_activity_source("deals.deals", _recent_deals)
register_person_part("deals.deals", _remove_deal_words)


register(
    Target(
        code="deals.closed_deals",
        label=_("Won and lost deals"),
        help_text=_(
            "Deals won or lost more than the period ago. Anonymising removes the person (the "
            "contact link, the name, the won or lost reason) and keeps the amount and the stage."
        ),
        actions=(Action.ANONYMISE,),
        default_action=Action.ANONYMISE,
        inventory_retention="crm_record",
        default_days=5 * 365,
        pending=_pending,
        apply=_anonymise,
        order=15,
    )
)
