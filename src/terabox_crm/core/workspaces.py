"""Writes about workspaces: creation and settings (S6, S14).

Every service is keyword-only and takes the acting ``membership`` — except
``workspace_create``, whose actor (a user) is a member of nothing yet. It
checks the permission policy itself through the one guard (``core.guards``)
— views check too, but the API, the CLI and jobs call the same functions —
then changes the database and records its audit event in one transaction
(``@transaction.atomic``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from terabox_crm import audit
from terabox_crm.accounts.models import User
from terabox_crm.core import guards, tasks
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.refusals import Refusal
from terabox_crm.refusals import recorded_after_rollback as _refusals_recorded

NAME_MAX_LENGTH = Workspace._meta.get_field("name").max_length


def _clean_workspace_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise Refusal(_("Enter a name for the workspace."), code="name_required", status=400)
    if len(cleaned) > NAME_MAX_LENGTH:
        raise Refusal(
            _("Use at most %(max)d characters for the name."),
            code="name_too_long",
            status=400,
            params={"max": NAME_MAX_LENGTH},
        )
    return cleaned


# --- Workspaces ------------------------------------------------------------------------


def _unique_slug_candidates(name: str):
    base = slugify(name)[:48].strip("-") or "workspace"
    yield base
    while True:
        yield f"{base}-{secrets.token_hex(3)}"


@_refusals_recorded
@transaction.atomic
def workspace_create(*, actor: User, name: str) -> Workspace:
    """Create a workspace; ``actor`` becomes its first owner.

    Takes the acting user, not a membership: they have none in it yet.

    Names need not be unique (two companies may share one); the slug is, so a
    taken slug gets a random suffix. Any signed-in user may create a workspace:
    it is a new tenant, not an action inside one.
    """
    name = _clean_workspace_name(name)
    for slug in _unique_slug_candidates(name):
        if Workspace.objects.filter(slug=slug).exists():
            continue
        workspace = Workspace(name=name, slug=slug)
        try:
            with transaction.atomic():  # a savepoint: a racing creator may take the slug
                workspace.save(force_insert=True)
        except IntegrityError:
            continue
        break
    with scope(workspace=workspace):
        owner = Membership.objects.create(workspace=workspace, user=actor, role=Role.OWNER)
    audit.record(
        "core.workspace.created",
        actor=actor,
        workspace=workspace,
        obj=workspace,
        payload={"slug": workspace.slug, "owner_membership": str(owner.pk)},
    )
    return workspace


@_refusals_recorded
@transaction.atomic
def workspace_update_settings(
    *,
    membership: Membership,
    name: str,
    mfa_required_for_all: bool,
    name_prefix_search: bool | None = None,
    default_language: str | None = None,
) -> Workspace:
    """Rename the workspace, decide whether two-factor is required of everyone
    and whether names are searchable by prefix (typeahead).

    Owners only. Relaxing two-factor (members and viewers may then sign in
    with a password of 15+ characters alone, S14) and turning prefix search
    on (its terms leak much more about names to whoever reads the database,
    docs/decisions/0005-blind-index-leakage.md) are sensitive: the view asks
    for step-up first. Owners, admins, managers, privacy officers and auditors
    keep two-factor whatever this says (``Workspace.requires_mfa_for``).
    ``default_language`` (``ja``/``en``; ``None`` leaves it) is the language
    of emails to contacts (P10 notices). Changing prefix search starts the job that builds or deletes the prefix
    terms once the change is committed (``None`` leaves it as it is).
    """
    attempted = "core.workspace.settings"
    membership = guards.acting_member(membership, membership.workspace, action=attempted)
    workspace = membership.workspace
    guards.require(
        membership, attempted, workspace, permission="workspace.settings", code="permission_denied"
    )
    name = _clean_workspace_name(name)
    if default_language is not None and default_language not in dict(settings.LANGUAGES):
        raise Refusal(
            _("Choose Japanese or English."), code="bad_language", field="default_language"
        )
    workspace = Workspace.objects.select_for_update(of=("self",)).get(pk=workspace.pk)
    before = {
        "name": workspace.name,
        "mfa_required_for_all": workspace.mfa_required_for_all,
        "name_prefix_search": workspace.name_prefix_search,
        "default_language": workspace.default_language,
    }
    workspace.name = name
    if default_language is not None:
        workspace.default_language = default_language
    workspace.mfa_required_for_all = bool(mfa_required_for_all)
    if name_prefix_search is not None:
        workspace.name_prefix_search = bool(name_prefix_search)
    changed = [field for field, value in before.items() if getattr(workspace, field) != value]
    if not changed:
        return workspace
    if "name_prefix_search" in changed:
        workspace.name_prefix_changed_at = timezone.now()
        workspace.name_prefix_progress = {"done": False}
        workspace.save(update_fields=[*changed, "name_prefix_changed_at", "name_prefix_progress"])
        workspace_id = str(workspace.pk)
        transaction.on_commit(lambda: _sync_name_prefixes(workspace_id))
    else:
        workspace.save(update_fields=changed)
    payload: dict = {"changed": changed}
    for field in ("mfa_required_for_all", "name_prefix_search", "default_language"):
        if field in changed:
            payload[field] = {"before": before[field], "after": getattr(workspace, field)}
    audit.record(
        "core.workspace.settings_changed",
        actor=membership.user_id,
        workspace=workspace,
        obj=workspace,
        payload=payload,
    )
    return workspace


def _sync_name_prefixes(workspace_id: str) -> None:
    # The job worker builds (on) or deletes (off) the prefix terms in batches.
    tasks.sync_name_prefixes(workspace_id)
