"""API shapes of webhook endpoints and deliveries. The signing secret is
never part of an endpoint: it appears once, in the answer to the create call."""

from __future__ import annotations

from terabox_crm.api import serializers
from terabox_crm.core import bus


def event_names() -> list[str]:
    """The events an endpoint may subscribe to (registered by the apps at start-up)."""
    return [item.name for item in bus.declared()]


class EndpointOut(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    purpose = serializers.CharField(help_text="The purpose code its deliveries serve (P2).")
    third_party = serializers.BooleanField()
    recipient = serializers.CharField()
    created_at = serializers.DateTimeField()
    secret_rotated_at = serializers.DateTimeField(allow_null=True)


class EndpointCreatedOut(EndpointOut):
    secret = serializers.CharField(help_text="The signing secret; shown only in this answer.")


class EndpointIn(serializers.Serializer):
    url = serializers.CharField(max_length=2000)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=()), allow_empty=True, required=True
    )
    active = serializers.BooleanField(required=False, default=True)
    purpose = serializers.CharField(max_length=40, required=False, default="support")
    third_party = serializers.BooleanField(required=False, default=False)
    recipient = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].child.choices = event_names()


class DeliveryOut(serializers.Serializer):
    id = serializers.UUIDField()
    event_id = serializers.UUIDField()
    event = serializers.CharField()
    object_id = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
