"""Reads of the request queue, for a membership the policy lets see it."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django_scopes import scope

from terabox_crm.accounts.models import User
from terabox_crm.core import policy
from terabox_crm.core.models import Membership
from terabox_crm.dsr import registry
from terabox_crm.dsr.models import OPEN_STATUSES, AccessExport, PrivacyRequest

QUEUE_LIMIT = 200


def requests_for(membership: Membership):
    """The workspace's requests, or none when ``membership`` may not read them."""
    with scope(workspace=membership.workspace_id):
        queryset = PrivacyRequest.objects.filter(workspace_id=membership.workspace_id)
    if not policy.can(membership, "dsr.view"):
        return queryset.none()
    return queryset.select_related("assignee", "recorded_by")


def queue(membership: Membership, *, status: str = "open") -> list[PrivacyRequest]:
    """Open requests soonest due first (or one status, or all), at most 200."""
    queryset = requests_for(membership)
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        queryset = queryset.filter(status=status)
    # A failed access export is flagged in the queue: the officer retries it there.
    failed = AccessExport.objects.filter(request_id=OuterRef("pk"), state=AccessExport.State.FAILED)
    queryset = queryset.annotate(export_failed=Exists(failed))
    return list(queryset.order_by("due_at", "id")[:QUEUE_LIMIT])


def officers(membership: Membership) -> list[User]:
    """The workspace's privacy officers, who may be assigned requests."""
    return list(
        User.objects.filter(
            memberships__workspace_id=membership.workspace_id,
            memberships__is_privacy_officer=True,
        ).order_by("email_index")
    )


def subject_links(item: PrivacyRequest) -> list[tuple[str, str]]:
    """Each matched person as (label, link to their contact page), where the
    officer restricts, withdraws, corrects or erases. A person erased since
    routing has no label left: their id is shown."""
    with scope(workspace=item.workspace_id):
        labels = registry.subject_labels(item.workspace_id, list(item.subject_ids))
    links = []
    for subject_id in item.subject_ids:
        try:
            url = reverse("contacts:detail", args=[subject_id])
        except NoReverseMatch:
            url = ""
        links.append((labels.get(str(subject_id)) or str(subject_id), url))
    return links
