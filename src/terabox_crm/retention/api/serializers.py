"""API shapes of retention rules and legal holds (P5)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field

from terabox_crm.api import serializers
from terabox_crm.retention.models import REASON_MAX_LENGTH
from terabox_crm.retention.registry import Action


@extend_schema_field({"type": "string", "enum": list(Action.ALL)})
class ActionField(serializers.CharField):
    """An action's code, documented as the list it is; checked by the service,
    which also knows which actions a target allows (its ``actions``)."""


class RuleOut(serializers.Serializer):
    target = serializers.CharField()
    label = serializers.CharField()
    days = serializers.IntegerField()
    action = serializers.CharField()
    actions = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    minimum_days = serializers.IntegerField(help_text="The operator's legal minimum (0: none).")
    default = serializers.BooleanField(help_text="True while no admin saved this rule.")
    last_run_rows = serializers.IntegerField(allow_null=True)


class RuleIn(serializers.Serializer):
    # Checked by the service (unknown target, legal minimum) so that the API
    # and the page give the same translated reasons.
    target = serializers.CharField(
        max_length=64, help_text="A target's code, as the list of rules gives it."
    )
    days = serializers.IntegerField()
    action = ActionField()
    enabled = serializers.BooleanField()


class HoldOut(serializers.Serializer):
    id = serializers.UUIDField()
    contact = serializers.UUIDField()
    reason = serializers.CharField()
    since = serializers.DateTimeField()
    lifted_at = serializers.DateTimeField(allow_null=True)
    active = serializers.BooleanField()


class HoldIn(serializers.Serializer):
    contact = serializers.UUIDField()
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)
