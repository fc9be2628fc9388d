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
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terabox_crm.crypto.models import SearchTerm
from terabox_crm.deals.erasure import ERASED_NAME
from terabox_crm.deals.models import Deal, Stage
from terabox_crm.retention.registry import Action, Target, register

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


def _anonymise(*, workspace_id, ids, action) -> int:
    ids = list(ids)
    now = timezone.now()
    deals = list(Deal.objects.filter(workspace_id=workspace_id, pk__in=ids))
    # Each name is encrypted for its own row (the row id is bound into the
    # ciphertext), so the dash is written row by row; the rest is set-based.
    for deal in deals:
        deal.name = ERASED_NAME
        deal.close_reason = ""
        deal.contact_id = None
        deal.anonymised_at = now
        deal.save(update_fields=["name", "close_reason", "contact", "anonymised_at"])
    SearchTerm.objects.filter(workspace_id=workspace_id, object_id__in=ids).delete()
    return len(deals)


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
