from __future__ import annotations

from terabox_crm.api import serializers
from terabox_crm.dsr.models import (
    DETAILS_MAX_LENGTH,
    POSTAL_ADDRESS_MAX_LENGTH,
    RECORDED_CHANNELS,
    AccessExport,
    Channel,
    Kind,
    PrivacyRequest,
    Reply,
    Status,
)


class PrivacyRequestOut(serializers.ModelSerializer):
    email = serializers.CharField(help_text="Where the answers go by email (empty: by post).")
    postal_address = serializers.CharField(
        help_text="Where the answers go by post, for a person who gave no email address."
    )
    details = serializers.CharField()
    outcome = serializers.CharField()
    subject_ids = serializers.ListField(child=serializers.UUIDField())
    identity_check = serializers.CharField(
        help_text="How the officer who recorded it checked who the person is (empty for web)."
    )

    class Meta:
        model = PrivacyRequest
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "email",
            "postal_address",
            "details",
            "language",
            "subject_ids",
            "assignee",
            "channel",
            "recorded_by",
            "identity_check",
            "received_at",
            "due_at",
            "closed_at",
            "outcome",
        ]


class PrivacyRequestRecordIn(serializers.Serializer):
    """A request a person made by email, phone, post or in person."""

    kind = serializers.ChoiceField(choices=Kind.choices)
    channel = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in RECORDED_CHANNELS],
        help_text="How it arrived (a request from the page arrives by itself).",
    )
    email = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text="Where the person wants the answers; they are told the request was recorded."
        " Required unless postal_address is given.",
    )
    postal_address = serializers.CharField(
        max_length=POSTAL_ADDRESS_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="For a person who gave no email address: every answer then goes by post, "
        "sent by an officer and recorded as a reply.",
    )
    identity_check = serializers.CharField(
        max_length=DETAILS_MAX_LENGTH,
        help_text="How the officer checked who the person is (required).",
    )
    details = serializers.CharField(
        max_length=DETAILS_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="What the person asked for; required for a correction and a withdrawal.",
    )
    language = serializers.ChoiceField(
        choices=[("ja", "ja"), ("en", "en")],
        required=False,
        help_text="The language of the answers (the installation's default if not given).",
    )
    received_on = serializers.DateField(
        required=False,
        help_text="The day it arrived (today if not given); not in the future, at most a "
        "year ago. The due date counts from it.",
    )
    subject_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=100,
        help_text="Contacts of the workspace it is about; those holding the email are added.",
    )


class PrivacyRequestChangeIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    note = serializers.CharField(
        max_length=DETAILS_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Why the status changed; required when refusing (the person is told).",
    )
    assignee = serializers.UUIDField(
        required=False, allow_null=True, help_text="A privacy officer of the workspace, or null."
    )


class PrivacyRequestListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, help_text="How the requests arrived."
    )


class RequestReplyIn(serializers.Serializer):
    body = serializers.CharField(
        max_length=DETAILS_MAX_LENGTH,
        help_text="The message emailed to the person, in their language's email frame;"
        " for a person answered by post, the letter an officer sent (recorded, not emailed).",
    )


class RequestReplyOut(serializers.ModelSerializer):
    body = serializers.CharField()

    class Meta:
        model = Reply
        fields = ["id", "author", "body", "by_post", "sent_at"]


class AccessExportOut(serializers.ModelSerializer):
    failure_reason = serializers.SerializerMethodField(
        help_text="Why the last attempt failed, in the request's language (empty if none)."
    )

    class Meta:
        model = AccessExport
        fields = [
            "id",
            "state",
            "attempts",
            "failure",
            "failure_reason",
            "rows",
            "size",
            "created_at",
            "ready_at",
            "expires_at",
            "failed_at",
            "downloads",
            "last_downloaded_at",
        ]

    def get_failure_reason(self, item) -> str:
        return str(item.get_failure_display()) if item.failure else ""
