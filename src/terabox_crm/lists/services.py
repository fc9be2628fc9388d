"""Writes of the list preferences: a user's columns and named views (per
user and workspace; ids, codes and column names only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from terabox_crm.core import guards
from terabox_crm.core.models import Membership
from terabox_crm.lists import anatomy
from terabox_crm.lists.models import ListColumns, ListView
from terabox_crm.refusals import recorded_after_rollback

VIEWS_PER_LIST = 20


def _spec(membership: Membership, list_key: str, permission: str) -> anatomy.ListSpec:
    spec = anatomy.spec_of(list_key)
    if spec is None:
        raise guards.invalid(
            membership, "lists.change", message=_("This list does not exist."), code="bad_list"
        )
    guards.require(membership, permission)
    return spec


@recorded_after_rollback
@transaction.atomic
def columns_save(
    *, membership: Membership, list_key: str, columns: list[str], permission: str
) -> list[str]:
    """Remember the columns shown in one list; unknown names are dropped."""
    spec = _spec(membership, list_key, permission)
    keys = [c.key for c in spec.columns if c.key in set(columns) and not c.required]
    ListColumns.objects.update_or_create(
        workspace_id=membership.workspace_id,
        user_id=membership.user_id,
        list_key=spec.key,
        defaults={"columns": keys},
    )
    return keys


@recorded_after_rollback
@transaction.atomic
def columns_reset(*, membership: Membership, list_key: str, permission: str) -> None:
    spec = _spec(membership, list_key, permission)
    ListColumns.objects.filter(
        workspace_id=membership.workspace_id, user_id=membership.user_id, list_key=spec.key
    ).delete()


@recorded_after_rollback
@transaction.atomic
def view_create(
    *, membership: Membership, list_key: str, name: str, params, permission: str
) -> ListView:
    """Save the list's current filters and sort (never the search text) as a tab."""
    spec = _spec(membership, list_key, permission)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError({"name": [_("Enter a name of at most 80 characters.")]})
    mine = ListView.objects.filter(
        workspace_id=membership.workspace_id, user_id=membership.user_id, list_key=spec.key
    )
    if mine.count() >= VIEWS_PER_LIST:
        raise ValidationError(
            {
                "name": [
                    _("You have %(n)s views of this list already; delete one first.")
                    % {"n": VIEWS_PER_LIST}
                ]
            }
        )
    return ListView.objects.create(
        workspace_id=membership.workspace_id,
        user_id=membership.user_id,
        list_key=spec.key,
        name=name,
        params=anatomy.view_params(spec, params),
    )


@recorded_after_rollback
@transaction.atomic
def view_delete(*, membership: Membership, view: ListView) -> None:
    if view.user_id != membership.user_id or view.workspace_id != membership.workspace_id:
        raise guards.refusal(
            membership,
            "lists.view.delete",
            view,
            message=_("This saved view is not yours."),
            code="not_owner",
            status=404,
        )
    view.delete()
