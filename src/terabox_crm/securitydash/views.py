"""The security dashboard (S7): security events by kind over time, with filters.

Admins, owners and auditors (``security.view``, the permission of the
security-events page) see their workspace's chain only.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe

from terabox_crm.core.decorators import permission_required
from terabox_crm.securitydash import chart as svg
from terabox_crm.securitydash import selectors
from terabox_crm.securitydash.forms import DashboardFilterForm


@permission_required("security.view")
@require_safe
def dashboard(request):
    form = DashboardFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "securitydash/dashboard.html", {"form": form}, status=400)
    kind, period = form.values()
    data = selectors.chart(workspace=request.workspace, period=period, action=kind)
    context = {
        "form": form,
        "chart": data,
        "svg": svg.layout(data),
        "svg_phone": svg.layout(data, svg.PHONE),  # docs/ui.md "Charts"
        "chart_rows": svg.rows(data),
        "period_label": selectors.PERIODS[period][0],
    }
    return render(request, "securitydash/dashboard.html", context)
