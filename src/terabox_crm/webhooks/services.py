"""Writes for webhook endpoints: create, update, rotate the secret, delete,
redeliver. Each validates (the SSRF guard included), saves and appends its
audit event in one transaction. The URL is an operator's address, not
personal data, but it may carry a receiver's token in its query string, so
audit payloads name only ids, event names and flags.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from terabox_crm import audit
from terabox_crm.core import bus, guards
from terabox_crm.core.models import Membership
from terabox_crm.privacy import gate
from terabox_crm.webhooks import fanout, ssrf
from terabox_crm.webhooks.models import Delivery, Endpoint

SECRET_PREFIX = "whsec_"  # noqa: S105 - a public marker, not a secret  # nosec B105
DESCRIPTION_MAX = 200
RECIPIENT_MAX = 200
MANAGE = "webhooks.manage"


@dataclass(frozen=True)
class WithSecret:
    endpoint: Endpoint
    secret: str  # shown once


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _manager(membership: Membership, record=None):
    """The acting user, once ``membership`` may manage webhooks (``record``:
    the endpoint or delivery it touches, which must be in its workspace).
    Views and the API ask the same policy first; a job or a command cannot
    skip it."""
    if record is not None:
        guards.in_workspace(membership, record, action=MANAGE)
    guards.require(membership, MANAGE)
    return membership.user


def _clean_events(event_names) -> list[str]:
    names = sorted({name for name in (event_names or []) if name})
    unknown = [name for name in names if not bus.is_declared(name)]
    if unknown:
        raise ValidationError(
            _("Unknown event: %(events)s.") % {"events": ", ".join(unknown)}, code="unknown_event"
        )
    if not names:
        raise ValidationError(_("Choose at least one event."), code="no_events")
    return names


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(
            _("The description is too long (at most %(max)d characters).")
            % {"max": DESCRIPTION_MAX},
            code="description_too_long",
        )
    return description


def _clean_privacy(membership: Membership, purpose: str, third_party: bool, recipient: str):
    """The purpose (a code of the workspace, P2) and, for a third party, the
    recipient's name (P4) that provision records will name."""
    try:
        purpose = gate.purpose_for(membership.workspace_id, (purpose or "").strip()).code
    except ValidationError:
        raise ValidationError(_("Choose a purpose."), code="unknown_purpose") from None
    recipient = " ".join((recipient or "").split())
    if len(recipient) > RECIPIENT_MAX:
        raise ValidationError(
            _("The recipient's name is too long (at most %(max)d characters).")
            % {"max": RECIPIENT_MAX},
            code="recipient_too_long",
        )
    if third_party and not recipient:
        raise ValidationError(
            _("Name the third party that receives the data."), code="recipient_required"
        )
    return purpose, bool(third_party), recipient if third_party else ""


def endpoint_create(
    *,
    membership: Membership,
    url: str,
    description: str = "",
    event_names,
    active: bool = True,
    purpose: str = "support",
    third_party: bool = False,
    recipient: str = "",
) -> WithSecret:
    """Register ``url`` for ``event_names``; refused for private addresses (SSRF)."""
    actor, workspace = _manager(membership), membership.workspace
    url = (url or "").strip()
    ssrf.check(url)
    names = _clean_events(event_names)
    description = _clean_description(description)
    purpose, third_party, recipient = _clean_privacy(membership, purpose, third_party, recipient)
    secret = new_secret()
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            workspace=workspace,
            url=url,
            description=description,
            events=names,
            secret=secret,
            active=active,
            purpose=purpose,
            third_party=third_party,
            recipient=recipient,
            created_by=actor,
        )
        audit.record(
            "webhooks.endpoint.created",
            actor=actor,
            workspace=workspace,
            obj=endpoint,
            payload={
                "events": names,
                "active": active,
                "purpose": purpose,
                "third_party": third_party,
            },
        )
    return WithSecret(endpoint, secret)


def endpoint_update(
    *,
    membership: Membership,
    endpoint: Endpoint,
    url: str,
    description: str,
    event_names,
    active: bool,
    purpose: str | None = None,
    third_party: bool | None = None,
    recipient: str | None = None,
) -> Endpoint:
    """Change an endpoint's URL, description, events, active flag, purpose
    or third-party recipient (``None``: as it is)."""
    actor = _manager(membership, endpoint)
    url = (url or "").strip()
    if url != endpoint.url:
        ssrf.check(url)
    names = _clean_events(event_names)
    description = _clean_description(description)
    purpose, third_party, recipient = _clean_privacy(
        membership,
        endpoint.purpose if purpose is None else purpose,
        endpoint.third_party if third_party is None else third_party,
        endpoint.recipient if recipient is None else recipient,
    )
    new_values = {
        "url": url,
        "description": description,
        "events": names,
        "active": active,
        "purpose": purpose,
        "third_party": third_party,
        "recipient": recipient,
    }
    changed = [name for name, new in new_values.items() if getattr(endpoint, name) != new]
    if not changed:
        return endpoint
    with transaction.atomic():
        for name in changed:
            setattr(endpoint, name, new_values[name])
        endpoint.save(update_fields=changed)
        audit.record(
            "webhooks.endpoint.updated",
            actor=actor,
            workspace=endpoint.workspace_id,
            obj=endpoint,
            payload={"fields": changed, "events": names, "active": active},
        )
    return endpoint


def endpoint_rotate_secret(*, membership: Membership, endpoint: Endpoint) -> WithSecret:
    """A new signing secret; the old one stops working at once."""
    actor = _manager(membership, endpoint)
    secret = new_secret()
    with transaction.atomic():
        endpoint.secret = secret
        endpoint.secret_rotated_at = timezone.now()
        endpoint.save(update_fields=["secret", "secret_rotated_at"])
        audit.record(
            "webhooks.endpoint.secret_rotated",
            actor=actor,
            workspace=endpoint.workspace_id,
            obj=endpoint,
        )
    return WithSecret(endpoint, secret)


def endpoint_delete(*, membership: Membership, endpoint: Endpoint) -> None:
    """Delete the endpoint and its delivery history."""
    actor = _manager(membership, endpoint)
    with transaction.atomic():
        audit.record(
            "webhooks.endpoint.deleted",
            actor=actor,
            workspace=endpoint.workspace_id,
            obj=endpoint,
            payload={"events": endpoint.events},
        )
        endpoint.delete()


def endpoint_ping(*, membership: Membership, endpoint: Endpoint) -> Delivery:
    """Queue a test delivery (event ``webhook.ping``, the endpoint's id as object)."""
    actor = _manager(membership, endpoint)
    now = timezone.now()
    with transaction.atomic():
        ping = Delivery.objects.create(
            workspace_id=endpoint.workspace_id,
            endpoint=endpoint,
            event=fanout.PING,
            object_id=str(endpoint.pk),
            next_attempt_at=now,
        )
        ping.payload = fanout.build_payload(
            event_id=ping.event_id,
            event=fanout.PING,
            occurred_at=now,
            workspace_id=endpoint.workspace_id,
            object_id=endpoint.pk,
        )
        ping.save(update_fields=["payload"])
        audit.record(
            "webhooks.endpoint.tested",
            actor=actor,
            workspace=endpoint.workspace_id,
            obj=endpoint,
            payload={"delivery": str(ping.pk)},
        )
        transaction.on_commit(lambda: fanout.enqueue(ping.pk))
    return ping


def delivery_redeliver(*, membership: Membership, delivery: Delivery) -> Delivery:
    """Send a finished delivery again as a new delivery with the same event id.

    A pending one is still being retried: sending a copy would only double it.
    """
    actor = _manager(membership, delivery)
    if delivery.status == Delivery.Status.PENDING:
        raise ValidationError(
            _("This delivery is still being retried; wait until it succeeds or fails."),
            code="still_pending",
        )
    with transaction.atomic():
        again = Delivery.objects.create(
            workspace_id=delivery.workspace_id,
            endpoint_id=delivery.endpoint_id,
            event_id=delivery.event_id,
            event=delivery.event,
            object_id=delivery.object_id,
            payload=delivery.payload,
            next_attempt_at=timezone.now(),
        )
        audit.record(
            "webhooks.delivery.redelivered",
            actor=actor,
            workspace=delivery.workspace_id,
            obj=again,
            payload={"endpoint": str(delivery.endpoint_id), "original": str(delivery.pk)},
        )
        transaction.on_commit(lambda: fanout.enqueue(again.pk))
    return again
