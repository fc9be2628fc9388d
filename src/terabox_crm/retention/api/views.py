"""``/api/v1/retention-rules`` and ``/api/v1/legal-holds`` (P5).

* ``GET retention-rules`` — every rule of the workspace as it runs (saved
  or default), with the legal minimum and the rows the last run expired.
* ``POST retention-rules`` — set the rule of one target (``target``,
  ``days``, ``action``, ``enabled``): a rule is keyed by its target, so the
  same call creates or changes it. Refusals (below the legal minimum, an
  unknown target, a negative period) are RFC 9457 problems; nothing changes.
* ``GET legal-holds`` — the workspace's standing holds (at most 1,000).
* ``GET legal-holds/of-contact/{contact_id}`` — a contact's holds, newest first.
* ``POST legal-holds`` — put a contact under hold (``contact``, ``reason``).
* ``POST legal-holds/{id}/lift`` — lift a hold.
"""

from __future__ import annotations

from django.http import Http404
from django_scopes import scopes_disabled
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.schema import answers
from terabox_crm.core.records import as_uuid
from terabox_crm.retention import engine, registry, selectors, services
from terabox_crm.retention.api.serializers import HoldIn, HoldOut, RuleIn, RuleOut
from terabox_crm.retention.models import LegalHold


def _rule_out(rule, removed: dict) -> dict:
    return {
        "target": rule.target.code,
        "label": str(rule.target.label),
        "days": rule.days,
        "action": rule.action,
        "actions": list(rule.target.actions),
        "enabled": rule.enabled,
        "minimum_days": rule.minimum,
        "default": not rule.saved,
        "last_run_rows": removed.get(rule.target.code),
    }


class RetentionRulesView(APIView):
    """The workspace's retention rules (admins and privacy officers)."""

    permission_classes = [PolicyPermission]
    permission_action = {"GET": "retention.rules.view", "POST": "retention.rules.change"}

    @extend_schema(responses={200: RuleOut(many=True)})
    def get(self, request):
        """List the retention rules

        Every target of the workspace as it runs: the saved rule or the default.
        """
        last = engine.last_run()
        removed = last.removed_in(request.membership.workspace_id) if last else {}
        rules = selectors.rules_for(membership=request.membership)
        return Response([_rule_out(rule, removed) for rule in rules])

    @extend_schema(request=RuleIn, responses={200: RuleOut})
    def post(self, request):
        """Set the rule of one target

        Creates or changes the workspace's rule for ``target``. A period below
        the operator's legal minimum, an unknown target or action and a period
        under one day are refused; nothing changes.
        """
        data = RuleIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.rule_set(membership=request.membership, **data.validated_data)
        rule = next(
            r
            for r in selectors.rules_for(membership=request.membership)
            if r.target.code == data.validated_data["target"]
        )
        return Response(_rule_out(rule, {}))


def _hold_out(hold: LegalHold) -> dict:
    return {
        "id": hold.pk,
        "contact": hold.subject_id,
        "reason": hold.reason,
        "since": hold.since,
        "lifted_at": hold.lifted_at,
        "active": hold.active,
    }


class LegalHoldsView(APIView):
    """A contact's legal holds; setting one."""

    permission_classes = [PolicyPermission]
    # The contact named in the query or body may not be in this workspace.
    extra_problem_statuses = (404,)
    permission_action = {"GET": "retention.holds.change", "POST": "retention.holds.change"}

    @extend_schema(responses={200: HoldOut(many=True)})
    def get(self, request):
        """List the standing legal holds"""
        holds = selectors.standing_holds(membership=request.membership)
        return Response([_hold_out(hold) for hold in holds])

    @extend_schema(request=HoldIn, responses={201: HoldOut})
    @answers(409)  # held already
    def post(self, request):
        """Put a contact under legal hold"""
        data = HoldIn(data=request.data)
        data.is_valid(raise_exception=True)
        hold = services.hold_set(
            membership=request.membership,
            subject_id=data.validated_data["contact"],
            reason=data.validated_data["reason"],
        )
        return Response(_hold_out(hold), status=status.HTTP_201_CREATED)


class ContactHoldsView(APIView):
    """A contact's legal holds, lifted ones too."""

    permission_classes = [PolicyPermission]
    permission_action = {"GET": "retention.holds.change"}

    @extend_schema(responses={200: HoldOut(many=True)})
    def get(self, request, contact_id):
        """List a contact's legal holds"""
        contact = registry.find_subject(request.membership, contact_id)
        if contact is None:
            raise Http404
        holds = selectors.holds_of(membership=request.membership, subject_id=contact.pk)
        return Response([_hold_out(hold) for hold in holds])


class LegalHoldLiftView(APIView):
    permission_classes = [PolicyPermission]
    permission_action = {"POST": "retention.holds.change"}

    @extend_schema(request=None, responses={200: HoldOut})
    @answers(409)  # lifted already
    def post(self, request, hold_id):
        """Lift a legal hold"""
        key = as_uuid(hold_id)
        with scopes_disabled():
            hold = LegalHold.objects.filter(
                workspace_id=request.membership.workspace_id, pk=key
            ).first()
        if hold is None:
            raise Http404
        return Response(_hold_out(services.hold_lift(membership=request.membership, hold=hold)))
