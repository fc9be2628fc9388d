"""Read-only API shapes of audit events. The list names people by id only;
the personal side (IP, user agent, before/after values, the actor's name) is
decrypted only for one event at a time (``AuditEventDetailOut``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field

from terabox_crm.api import serializers
from terabox_crm.audit import actions


class AuditEventOut(serializers.Serializer):
    hash = serializers.CharField(help_text="The event's SHA-256 chain hash; also its id in URLs.")
    seq = serializers.IntegerField(help_text="Position in the workspace's chain, from 1.")
    created_at = serializers.DateTimeField()
    action = serializers.CharField(help_text="Dotted event type, e.g. accounts.login.succeeded.")
    label = serializers.SerializerMethodField()
    is_security = serializers.SerializerMethodField()
    actor_id = serializers.UUIDField(allow_null=True)
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    request_id = serializers.CharField()
    channel = serializers.CharField()
    payload = serializers.JSONField(help_text="Non-personal details: ids, field and role names.")
    prev_hash = serializers.CharField()

    @extend_schema_field(
        serializers.CharField(help_text="The event type in the reader's language.")
    )
    def get_label(self, event) -> str:
        return actions.label(event.action)

    @extend_schema_field(serializers.BooleanField())
    def get_is_security(self, event) -> bool:
        return event.action.startswith("security.")


class PersonalValueOut(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    value = serializers.JSONField(allow_null=True)


class AuditEventDetailOut(serializers.Serializer):
    """One event with its personal side decrypted (a ``selectors.TrailEntry``)."""

    event = AuditEventOut()
    actor = serializers.CharField(source="actor_label", help_text="The actor's name or email.")
    detail_state = serializers.ChoiceField(
        choices=["none", "ok", "erased", "unreadable"],
        help_text="erased: the subject's data was erased (crypto-shredded); "
        "unreadable: the encrypted part failed its integrity check.",
    )
    ip = serializers.CharField()
    user_agent = serializers.CharField()
    device = serializers.CharField()
    personal = serializers.SerializerMethodField()
    detail_digest = serializers.CharField(source="event.detail_digest")

    @extend_schema_field(PersonalValueOut(many=True))
    def get_personal(self, entry) -> list[dict]:
        return [
            {"field": name, "before": before, "after": after, "value": value}
            for name, before, after, value in entry.personal
        ]


class AuditEventListParams(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=(), required=False, help_text="Only events of this type."
    )
    security_only = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = sorted(
            name
            for name, event_type in actions.all_types().items()
            if event_type.is_security or not self.security_only
        )


class SecurityEventListParams(AuditEventListParams):
    security_only = True
