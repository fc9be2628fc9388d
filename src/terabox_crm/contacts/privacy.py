"""What the contacts app tells the privacy engine (P3, P7): contacts are the
data subjects, identified by their id (``privacy.subjects``); a restricted
contact is read-only for everyone but privacy officers (``rules``); contacts
the service-notice purpose may use are told of a policy change (P10,
``policies.notices`` audience ``contacts``).
Registered from ``apps.ready()``."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Exists, OuterRef
from django_scopes import scopes_disabled

from terabox_crm.contacts.models import Contact, ContactEmail
from terabox_crm.core.models import Workspace
from terabox_crm.policies import notices
from terabox_crm.privacy import gate, subjects
from terabox_crm.refusals import Refusal

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


# The notice of a policy change goes to contacts too (P10): to those with an
# email whose service-notice purpose the gate allows (P3, P7).
NOTICE_PURPOSE = "notices"
NOTICE_CHANNEL = "policies.notices"


def _workspace_languages(workspace_ids: set) -> dict:
    """The default language of each workspace (P10: contacts choose none)."""
    with scopes_disabled():
        return dict(
            Workspace.objects.filter(pk__in=workspace_ids).values_list("pk", "default_language")
        )


def _emails_of(contact_ids: list) -> dict:
    """``{contact id: its primary email}`` (the first when none is marked),
    one query for the batch; the ciphertexts are decrypted as they are read."""
    found: dict = {}
    with scopes_disabled():
        rows = (
            ContactEmail.objects.filter(contact_id__in=gate.ids_in(contact_ids))
            .only("id", "workspace_id", "contact_id", "value", "is_primary")
            .order_by("contact_id", "-is_primary", "id")
        )
        for row in rows:
            if row.contact_id not in found:
                found[row.contact_id] = row.value
    return found


def notice_audience(version, after: str, limit: int) -> list:
    """``policies.notices`` audience ``contacts``: the next ``limit`` contacts
    after the key ``after`` (a contact id; every workspace, in id order) that
    have an email and that the gate lets the ``notices`` purpose use, each
    workspace's candidates checked at once. A batch whose candidates are all
    refused does not end the walk: the next candidates are read until
    ``limit`` recipients are found or none is left."""
    found: list = []
    cursor = after
    with scopes_disabled():
        while len(found) < limit:
            candidates = Contact.objects.filter(
                Exists(ContactEmail.objects.filter(contact_id=OuterRef("pk")))
            )
            if cursor:
                candidates = candidates.filter(pk__gt=cursor)
            batch = list(candidates.order_by("pk").values_list("pk", "workspace_id")[:limit])
            if not batch:
                break
            by_workspace: dict = defaultdict(list)
            for contact_id, workspace_id in batch:
                by_workspace[workspace_id].append(contact_id)
            allowed: set = set()
            for workspace_id, ids in by_workspace.items():
                try:
                    decision = gate.check(
                        workspace=workspace_id,
                        purpose=NOTICE_PURPOSE,
                        subject_ids=ids,
                        channel=NOTICE_CHANNEL,
                    )
                except Refusal:  # a workspace without the purpose tells no one
                    continue
                allowed |= decision.allowed
            chosen = [(pk, ws) for pk, ws in batch if pk in allowed]
            emails = _emails_of([pk for pk, _ws in chosen])
            languages = _workspace_languages({ws for _pk, ws in chosen})
            found.extend(
                notices.Recipient(
                    key=str(pk),
                    email=emails[pk],
                    language=languages.get(ws) or "ja",
                    subject_id=pk,
                    workspace_id=ws,
                )
                for pk, ws in chosen
                if emails.get(pk)
            )
            cursor = str(batch[-1][0])
    return found[:limit]


def register() -> None:
    subjects.register("contacts", existing=existing, readable=readable)
    notices.register_audience("contacts", notice_audience)
