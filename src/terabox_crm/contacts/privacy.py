"""What the contacts app tells the privacy engine (P3, P7): contacts are the
data subjects, identified by their id (``privacy.subjects``); a restricted
contact is read-only for everyone but privacy officers (``rules``).
Registered from ``apps.ready()``."""

from __future__ import annotations

from django_scopes import scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.privacy import gate, subjects

CHUNK = 5_000


def existing(workspace_id, subject_ids: list) -> set:
    """The ids of ``subject_ids`` that are contacts of ``workspace_id``: looked
    up by primary key alone (the planner then always takes the key's index,
    never a scan of the workspace's index) and kept when of the workspace."""
    found: set = set()
    workspace = str(workspace_id)
    with scopes_disabled():
        for start in range(0, len(subject_ids), CHUNK):
            found.update(
                pk
                for pk, owner in Contact.objects.filter(
                    pk__in=gate.ids_in(subject_ids[start : start + CHUNK])
                ).values_list("pk", "workspace_id")
                if str(owner) == workspace
            )
    return found


def readable(membership, subject_ids: list) -> set:
    found: set = set()
    with scopes_disabled():
        for start in range(0, len(subject_ids), CHUNK):
            found.update(
                Contact.objects.visible_to(membership)
                .filter(pk__in=subject_ids[start : start + CHUNK])
                .values_list("pk", flat=True)
            )
    return found


def register() -> None:
    subjects.register("contacts", existing=existing, readable=readable)
