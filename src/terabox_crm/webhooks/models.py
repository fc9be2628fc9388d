"""Webhook endpoints of a workspace and the deliveries made to them.

A delivery's payload holds ids only (event id, event name, time, workspace
id, object id): a receiver fetches the object through the API with its own
token, so no personal data ever leaves in a webhook body or sits in this
table. ``last_error`` is a short reason (an exception class or "HTTP 500"),
never a response body.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from terabox_crm.core.records import WorkspaceQuerySet
from terabox_crm.crypto.fields import EncryptedTextField


class Endpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "core.Workspace", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    events = models.JSONField(_("events"), default=list)
    # The HMAC key receivers verify signatures with: encrypted at rest, shown once.
    secret = EncryptedTextField(_("signing secret"))
    active = models.BooleanField(_("active"), default=True)
    # The purpose its deliveries about contacts serve (P2, P3): the purpose
    # gate decides, per contact, whether a delivery is queued at all.
    purpose = models.CharField(_("purpose"), max_length=40, default="support")
    # A receiver outside the company (P4): each delivery about a contact
    # writes a provision record naming the recipient.
    third_party = models.BooleanField(_("third party"), default=False)
    recipient = models.CharField(_("recipient"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(
        workspace="workspace", _manager_class=models.Manager.from_queryset(WorkspaceQuerySet)
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"webhook endpoint {self.id}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # One event id per occurrence: a redelivery keeps it, so receivers can deduplicate.
    event_id = models.UUIDField(default=uuid.uuid4)
    event = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(
        workspace="workspace", _manager_class=models.Manager.from_queryset(WorkspaceQuerySet)
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # An erasure (P8) finds the deliveries about a person by their id.
            models.Index(fields=["workspace", "object_id"], name="delivery_about_object"),
        ]

    def __str__(self) -> str:
        return f"webhook delivery {self.id}"
