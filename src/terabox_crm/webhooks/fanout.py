"""From a domain event to queued deliveries.

The events an endpoint may choose are the ones the apps declare on the bus
(``core/bus.py``, each app's ``events.py``): this app keeps no list of its
own. ``on_domain_events`` is subscribed to the bus in ``apps.py`` and hears
a transaction's events together (``bus.subscribe_many``); ``emit_many``
queues one delivery per object and subscribed endpoint of the event's
workspace, set-based: a bulk change of 1,000 contacts costs one endpoint
query, one gate check per purpose and a few INSERTs, not 1,000 of each.

Most events of most workspaces have no endpoint to go to. Which event names
some active endpoint of a workspace subscribes to is kept in the cache that
every process shares (``subscribed_events``), so such an event costs no
query after the change's commit (docs/performance.md, "Write path"). The
entry sits under a version token that every save or delete of an endpoint
replaces, at once and again once committed (``forget_subscriptions``), so a
process never answers from a list older than the last committed change; the
endpoints themselves are still read from the database when one may match.
"""

from __future__ import annotations

import logging
import uuid
from functools import partial

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from django_scopes import scopes_disabled

from terabox_crm.core import bus
from terabox_crm.privacy import gate
from terabox_crm.privacy import services as privacy
from terabox_crm.webhooks.models import Delivery, Endpoint

log = logging.getLogger(__name__)


# Sent only by the "Send test event" button, to one endpoint; not subscribable.
PING = "webhook.ping"
PING_LABEL = pgettext_lazy("webhook event", "Test event")


def label(name: str) -> str:
    """The translated label of an event name (a name no app declares: itself)."""
    if name == PING:
        return str(PING_LABEL)
    return str(bus.get(name).label) if bus.is_declared(name) else name


def build_payload(*, event_id, event: str, occurred_at, workspace_id, object_id) -> dict:
    """The JSON body of a delivery: ids only, never field values."""
    return {
        "id": str(event_id),
        "event": event,
        "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
        "workspace_id": str(workspace_id),
        "data": {"id": str(object_id)},
    }


# Seconds an answer of ``subscribed_events`` is kept at most (an endpoint
# change replaces it at once; this only bounds a process that died between
# its commit and the version's second replacement).
SUBSCRIBED_TTL = 60


def _workspace_key(workspace_id) -> str:
    """One spelling of a workspace id (a UUID, its text or its hex) for the keys."""
    try:
        return str(uuid.UUID(str(workspace_id)))
    except ValueError:
        return str(workspace_id)


def _version_key(workspace_id) -> str:
    return f"webhooks:subscribed:version:{_workspace_key(workspace_id)}"


def subscribed_events(workspace_id) -> frozenset[str]:
    """The event names some active endpoint of ``workspace_id`` subscribes to,
    from the shared cache (read from the database when missing)."""
    version_key = _version_key(workspace_id)
    version = cache.get(version_key)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(version_key, version, timeout=None):
            version = cache.get(version_key) or version
    key = f"webhooks:subscribed:{_workspace_key(workspace_id)}:{version}"
    names = cache.get(key)
    if names is None:
        with scopes_disabled():
            rows = Endpoint.objects.filter(workspace_id=workspace_id, active=True).values_list(
                "events", flat=True
            )
            names = sorted({name for events in rows for name in events})
        cache.set(key, names, timeout=SUBSCRIBED_TTL)
    return frozenset(names)


def forget_subscriptions(workspace_id) -> None:
    """An endpoint of ``workspace_id`` changed: ``subscribed_events`` reads
    the database again. The version is replaced now (this process, inside
    its transaction, sees its own change) and again after commit (another
    process that read the old rows meanwhile cached them under a version
    nobody asks for any more)."""

    def replace_version() -> None:
        cache.set(_version_key(workspace_id), uuid.uuid4().hex, timeout=None)

    replace_version()
    transaction.on_commit(replace_version)


def on_endpoint_changed(sender, instance, **kwargs) -> None:
    """``post_save``/``post_delete`` of an ``Endpoint`` (``apps.py``)."""
    forget_subscriptions(instance.workspace_id)


def emit(event: str, *, workspace_id, object_id) -> int:
    """Queue one delivery per active endpoint of ``workspace_id`` subscribed to ``event``."""
    return emit_many(event, workspace_id=workspace_id, object_ids=[object_id])


def emit_many(event: str, *, workspace_id, object_ids: list) -> int:
    """Queue ``event`` about each of ``object_ids`` for every active endpoint
    of ``workspace_id`` subscribed to it; returns the number of deliveries.

    Set-based, whatever the number of objects (a bulk change, an import
    batch): one query for the endpoints, one gate check per purpose, the
    deliveries in batches of ``BATCH`` rows, one provision record per third
    party. The rows are written now (in the caller's transaction, if any)
    and the jobs are enqueued after commit, so a rolled-back change sends
    nothing. Only that workspace's endpoints are looked at. Each object is
    an event of its own: its id, shared by its deliveries to the endpoints.
    """
    bus.get(event)  # an undeclared name is a mistake: ValueError
    if not object_ids or event not in subscribed_events(workspace_id):
        # Most events of most workspaces: no query, and no transaction of its
        # own after the change's commit (on SQLite, no second write lock).
        return 0
    with scopes_disabled():
        subscribed = [
            (endpoint_id, purpose, third_party, recipient)
            for endpoint_id, events, purpose, third_party, recipient in Endpoint.objects.filter(
                workspace_id=workspace_id, active=True
            ).values_list("pk", "events", "purpose", "third_party", "recipient")
            if event in events
        ]
    if not subscribed:
        return 0
    allowed = gated(event, workspace_id=workspace_id, object_ids=object_ids, endpoints=subscribed)
    now = timezone.now()
    rows = []
    for object_id in object_ids:
        event_id = uuid.uuid4()  # one event per object, the same to every endpoint
        payload = build_payload(
            event_id=event_id,
            event=event,
            occurred_at=now,
            workspace_id=workspace_id,
            object_id=object_id,
        )
        rows += [
            Delivery(
                workspace_id=workspace_id,
                endpoint_id=endpoint_id,
                event_id=event_id,
                event=event,
                object_id=str(object_id),
                payload=payload,
                next_attempt_at=now,
            )
            for endpoint_id, *_ in subscribed
            if object_id in allowed[endpoint_id]
        ]
    if not rows:
        return 0
    with scopes_disabled(), transaction.atomic():
        deliveries = Delivery.objects.bulk_create(rows, batch_size=BATCH)
        delivery_ids = [str(delivery.pk) for delivery in deliveries]
        transaction.on_commit(partial(enqueue_many, delivery_ids))
        if bus.get(event).subject == CONTACT:
            for endpoint_id, purpose, third_party, recipient in subscribed:
                people = [
                    object_id
                    for object_id in object_ids
                    if object_id in allowed[endpoint_id] and _as_uuid(object_id) is not None
                ]
                if third_party and people:
                    privacy.provision_record(
                        workspace=workspace_id,
                        recipient=recipient,
                        subject_ids=people,
                        categories=PROVIDED_CATEGORIES,
                        channel="webhook",
                        reference=str(endpoint_id),
                        purpose=purpose,
                    )
    return len(deliveries)


# Deliveries written per INSERT.
BATCH = 500

# Events about a contact are gated per contact (P3); the receiver reads the
# contact's identity and contact details through the API with the id sent.
CONTACT = "contacts.contact"
PROVIDED_CATEGORIES = ("identity", "contact")
CHANNEL = "webhooks"


def gated(event: str, *, workspace_id, object_ids: list, endpoints: list) -> dict:
    """Per endpoint id, the set of ``object_ids`` it may be told of.

    For an event about a contact: the contacts its purpose may use now
    (``privacy.gate``, P3), one check per purpose for all of them; the
    refusals are recorded by the gate. A contact deleted since (an unknown
    subject) still has its deletion announced: the payload is an id that no
    longer names anyone. Other events: every object, to every endpoint.
    """
    everything = set(object_ids)
    if bus.get(event).subject != CONTACT:
        return {endpoint_id: everything for endpoint_id, *_ in endpoints}
    keys = {object_id: _as_uuid(object_id) for object_id in everything}
    contacts = [key for key in keys.values() if key is not None]
    allowed_by_purpose: dict[str, set] = {}
    for purpose in {purpose for _, purpose, *_ in endpoints}:
        refused: set[uuid.UUID] = set()
        if contacts:
            try:
                decision = gate.check(
                    workspace=workspace_id, purpose=purpose, subject_ids=contacts, channel=CHANNEL
                )
            except ValidationError:  # a purpose deleted since: nothing goes out for it
                log.warning("webhook endpoint purpose %r unknown in %s", purpose, workspace_id)
                allowed_by_purpose[purpose] = set()
                continue
            refused = {
                subject_id
                for subject_id, reason in decision.refused.items()
                if reason.code != gate.UNKNOWN_SUBJECT
            }
        allowed_by_purpose[purpose] = {
            object_id for object_id, key in keys.items() if key is None or key not in refused
        }
    return {endpoint_id: allowed_by_purpose[purpose] for endpoint_id, purpose, *_ in endpoints}


def _as_uuid(object_id) -> uuid.UUID | None:
    """A contact's id as the gate keys it; None for a value that names nobody."""
    try:
        return uuid.UUID(str(object_id))
    except ValueError:
        return None


# Deliveries per job that queues a group's deliveries.
GROUP = 1000


def enqueue_many(delivery_ids: list[str]) -> None:
    """One job per delivery, so a slow receiver holds up none of the others.
    A lone delivery is queued at once. A group's are queued by a job of its
    own in the worker: a bulk change's request queues one job, not 2,000 (a
    job lost on the way is picked up by ``deliver_due_webhooks``)."""
    from terabox_crm.webhooks import tasks

    if len(delivery_ids) == 1:
        enqueue(delivery_ids[0])
        return
    for start in range(0, len(delivery_ids), GROUP):
        tasks.queue_webhook_deliveries(delivery_ids[start : start + GROUP])


def enqueue(delivery_id) -> None:
    from terabox_crm.webhooks import tasks

    tasks.deliver_webhook(str(delivery_id))


def on_domain_events(event_name: str, workspace_id: str, object_ids: list[str]) -> None:
    """The bus subscriber (``apps.py``): queue ``event_name`` about each of
    ``object_ids`` (one transaction's, together) for the endpoints.

    The change is committed already; the bus logs and counts a failure here
    without turning the user's request into an error.
    """
    emit_many(event_name, workspace_id=workspace_id, object_ids=object_ids)
