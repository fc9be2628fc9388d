"""Reads of the incident register: take a membership, return what the policy
lets it see (``incidents.view``); the public notices need no membership."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Count
from django.utils.text import capfirst
from django_scopes import scopes_disabled

from terabox_crm.accounts.models import User
from terabox_crm.audit import actions
from terabox_crm.contacts.models import Contact
from terabox_crm.core import policy
from terabox_crm.incidents import affected
from terabox_crm.incidents.models import (
    AffectedItem,
    AffectedKind,
    Decision,
    Delivery,
    Incident,
    Status,
)

AFFECTED_PAGE = 25
PUBLIC_LIMIT = 50


def incidents(membership):
    if not policy.can(membership, "incidents.view"):
        return Incident.objects.none()
    return Incident.objects.filter(workspace_id=membership.workspace_id).select_related("owner")


def register(membership, *, status: str = "", severity: str = "", mine: bool = False):
    """The register as a work list: the open incidents (not closed) unless
    ``status`` names one, or is ``"all"``; of one severity; handled by the
    member."""
    found = incidents(membership)
    if status == "all":
        pass
    elif status:
        found = found.filter(status=status)
    else:
        found = found.exclude(status=Status.CLOSED)
    if severity:
        found = found.filter(severity=severity)
    if mine:
        found = found.filter(owner_id=membership.user_id)
    return found


def incident(membership, incident_id):
    return incidents(membership).select_related("source_user").filter(pk=incident_id).first()


def affected_summary(incident) -> dict[str, dict[str, int]]:
    """``{kind: {decision: count}}`` in two grouped queries' worth of rows."""
    summary = {kind: {decision: 0 for decision in Decision.values} for kind in AffectedKind.values}
    for kind, decision, count in (
        AffectedItem.objects.filter(incident=incident)
        .values_list("kind", "decision")
        .annotate(n=Count("id"))
        .order_by()
    ):
        summary[kind][decision] = count
    return summary


def affected_page(incident, *, kind: str, page: int) -> tuple[list[dict], bool]:
    """One page of affected items of ``kind`` for the review list: a label
    each (names looked up in one query per page: the records may have been
    erased since; a record shows its kind), what the account did to it
    (``affected.actions_of``, with the event types' labels) and who reviewed it."""
    start = max(page - 1, 0) * AFFECTED_PAGE
    items = list(
        AffectedItem.objects.filter(incident=incident, kind=kind)
        .select_related("reviewed_by")
        .order_by("-events", "object_id")[start : start + AFFECTED_PAGE + 1]
    )
    more = len(items) > AFFECTED_PAGE
    items = items[:AFFECTED_PAGE]
    ids = [item.object_id for item in items]
    labels: dict[str, str] = {}
    if kind == AffectedKind.PERSON:
        with scopes_disabled():
            for contact in Contact.objects.filter(workspace_id=incident.workspace_id, pk__in=ids):
                labels[str(contact.pk)] = contact.display_name
    elif kind == AffectedKind.USER:
        for user in User.objects.filter(pk__in=ids):
            labels[str(user.pk)] = user.label
    done = affected.actions_of(incident, items)
    return [
        {
            "item": item,
            "label": labels.get(item.object_id, ""),
            "type_label": _record_type(item.object_type) if kind == AffectedKind.RECORD else "",
            "actions": [
                (actions.label(action), count) for action, count in done.get(str(item.pk), [])
            ],
        }
        for item in items
    ], more


def _record_type(object_type: str) -> str:
    """A record's kind in the reader's language (「会社」), not ``contacts.company``."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return capfirst(str(model._meta.verbose_name))


def delivery_summary(incident) -> dict[str, dict[str, int]]:
    summary: dict[str, dict[str, int]] = {}
    for channel, state, count in (
        Delivery.objects.filter(incident=incident)
        .values_list("channel", "state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        summary.setdefault(channel, {})[state] = count
    return summary


def refused_deliveries(incident, limit: int = 50):
    return list(
        Delivery.objects.filter(incident=incident, state="refused")
        .select_related("item")
        .order_by("created_at")[:limit]
    )


def public_notices(limit: int = PUBLIC_LIMIT):
    """Published incident notices of every workspace, newest first (public)."""
    with scopes_disabled():
        return list(
            Incident.objects.filter(notice_published_at__isnull=False)
            .select_related("workspace")
            .only(
                "id",
                "workspace__name",
                "notice_title_ja",
                "notice_title_en",
                "notice_body_ja",
                "notice_body_en",
                "notice_published_at",
                "detected_at",
                "data_categories",
            )
            .order_by("-notice_published_at")[:limit]
        )


def public_notice(incident_id):
    with scopes_disabled():
        return (
            Incident.objects.filter(pk=incident_id, notice_published_at__isnull=False)
            .select_related("workspace")
            .first()
        )


def notice_text(incident, language: str) -> dict:
    """The notice in ``language``, falling back to the other one."""
    if language == "ja":
        return {
            "title": incident.notice_title_ja or incident.notice_title_en,
            "body": incident.notice_body_ja or incident.notice_body_en,
        }
    return {
        "title": incident.notice_title_en or incident.notice_title_ja,
        "body": incident.notice_body_en or incident.notice_body_ja,
    }
