"""``POST /api/v1/contacts/{contact_id}/erase/``: erase a person (P8).

Privacy officers only (``privacy.erase``). A session request needs a fresh
step-up (S4), as in the web app; a personal API token, which cannot step up,
needs the ``privacy`` scope, which only a privacy officer can put on a token
and only right after a step-up (``api.services.token_create``): a ``write``
token never erases (docs/privacy-erasure.md). Errors are problem details:
403 ``insufficient-scope`` for a token without the scope, 403 without the
capability, 404 for a person the workspace does not hold, 409
``already-erased`` with the date for a second erasure, 400 without a reason.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from terabox_crm.accounts.stepup import has_fresh_step_up, step_up_required_response
from terabox_crm.api import serializers
from terabox_crm.api.authentication import token_scopes
from terabox_crm.api.models import Scope
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.schema import answers
from terabox_crm.erasure import services


class EraseIn(serializers.Serializer):
    reason = serializers.CharField(
        max_length=services.REASON_MAX_LENGTH,
        help_text="Why the person is erased, e.g. the request it fulfils. "
        "Kept encrypted under the caller's own key.",
    )
    request_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="A data-subject request id."
    )


class ErasedOut(serializers.Serializer):
    tombstone = serializers.UUIDField(source="pk")
    subject_id = serializers.UUIDField()
    erased_at = serializers.DateTimeField()


class SubjectEraseView(APIView):
    """Erase a person everywhere: their contact, timeline, tickets' text, queued
    email, webhook deliveries, search terms and audit details."""

    permission_classes = [PolicyPermission]
    permission_action = services.ACTION
    token_scope = Scope.PRIVACY.value  # never ``write``: the token stands in for a step-up (S4)

    @extend_schema(request=EraseIn, responses={200: ErasedOut}, operation_id="contacts_erase")
    @answers(409)  # erased already
    def post(self, request, contact_id):
        """Erase a person

        Privacy officers only. A session needs a step-up in the last five
        minutes; a personal API token needs the `privacy` scope (a `write`
        token is refused with 403 `insufficient-scope`), which only a privacy
        officer can give a token, on the API tokens page right after a
        step-up. Deletes or blanks the contact, its timeline, its tickets'
        text, queued email, webhook deliveries and search terms, and destroys
        the key of its audit details; a tombstone keeps the id, the time and
        keyed hashes of the addresses."""
        if token_scopes(request) is None and not has_fresh_step_up(request):
            return step_up_required_response(request._request)
        data = EraseIn(data=request.data)
        data.is_valid(raise_exception=True)
        # A second erasure is refused 409 ``already-erased`` (the refusal's
        # code, by ``api.problems``).
        tombstone = services.subject_erase(
            membership=request.membership,
            subject_id=contact_id,
            reason=data.validated_data["reason"],
            request_id=data.validated_data.get("request_id") or None,
        )
        return Response(ErasedOut(tombstone).data)
