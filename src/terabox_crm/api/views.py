"""The ``/api-tokens/`` page: a member's own personal access tokens in the
current workspace — list, create (with a fresh step-up; the token is shown
once, on the page answering the POST) and revoke.

Tokens are looked up among the signed-in user's own tokens in the current
workspace's scope, so anybody else's token id is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from terabox_crm.accounts.stepup import has_fresh_step_up, step_up_required
from terabox_crm.api import selectors, services
from terabox_crm.api.forms import TokenForm
from terabox_crm.core.decorators import permission_required

MANAGE = "api.tokens.manage"


def _page(request, form, *, status=200, created=None):
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": list(selectors.tokens_of(request.user, request.workspace)),
            "created": created,
        },
        status=status,
    )


@permission_required(MANAGE)
@require_safe
def token_list(request):
    return _page(request, TokenForm())


@permission_required(MANAGE)
@step_up_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            created = services.token_create(
                membership=request.membership,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
                stepped_up=has_fresh_step_up(request),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            return _page(request, TokenForm(), created=created)
    return _page(request, form, status=400)


@permission_required(MANAGE)
@require_POST
def token_revoke(request, token_id):
    token = get_object_or_404(selectors.tokens_of(request.user, request.workspace), pk=token_id)
    services.token_revoke(membership=request.membership, token=token)
    messages.success(
        request, _("The token was revoked. Requests using it are refused from now on.")
    )
    return redirect("api_tokens:list")
