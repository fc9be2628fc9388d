"""Reads of imports: which ones a member sees (their own; admins and owners
every one of the workspace), and the outcomes of an import's rows."""

from __future__ import annotations

from django.db.models import QuerySet
from django_scopes import scope

from terabox_crm.core import policy
from terabox_crm.imports.models import Import, ImportRow, Outcome

ROWS_SHOWN = 200


def imports_for(membership) -> QuerySet[Import]:
    rows = Import.objects.filter(workspace_id=membership.workspace_id).select_related(
        "requested_by"
    )
    if not policy.can(membership, "imports.view") or not _sees_all(membership):
        rows = rows.filter(requested_by_id=membership.user_id)
    return rows


def _sees_all(membership) -> bool:
    return policy.can(membership, "imports.view", _Anyone())


class _Anyone:
    """An import of nobody in particular: true only for those who see every one."""

    requested_by_id = None


def issues_of(item: Import, *, limit: int = ROWS_SHOWN) -> list[ImportRow]:
    """The first rows that were not simply created (skips, updates, errors,
    suppression flags), in file order."""
    return list(
        ImportRow.objects.filter(job=item, workspace_id=item.workspace_id)
        .exclude(outcome=Outcome.CREATE, suppressed=False)
        .order_by("number")[:limit]
    )


def rows_of(item: Import):
    """Every row's outcome in file order, streamed (the report): read in the
    import's own workspace scope, since a streamed response is consumed
    after the request's scope has ended."""
    with scope(workspace=item.workspace_id):
        yield from (
            ImportRow.objects.filter(job=item, workspace_id=item.workspace_id)
            .order_by("number")
            .values_list("number", "outcome", "code", "field", "object_id", "suppressed")
            .iterator(chunk_size=2000)
        )
