"""The data-inventory page (P1): what personal data the product keeps, why,
for how long and whether it is encrypted — for any member of the workspace."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe

from terabox_crm.core.decorators import permission_required
from terabox_crm.privacy import selectors


@permission_required("privacy.inventory.view")
@require_safe
def inventory_page(request):
    groups = selectors.inventory_by_category()
    return render(
        request,
        "privacy/inventory.html",
        {"groups": groups, "field_count": sum(len(group.rows) for group in groups)},
    )
