"""One time form across every object and endpoint: a walk over every GET
operation of the schema, on a workspace holding one record of each kind,
finds every date-time in UTC with ``Z`` (the server's zone is Asia/Tokyo)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import override_settings
from django.utils import timezone
from django_scopes import scopes_disabled
from drf_spectacular.generators import SchemaGenerator

from terabox_crm.api.tests.conftest import UTC_FORM, bearer, date_times
from terabox_crm.audit.models import AuditEvent
from terabox_crm.deals.tests.factories import make_pipeline, stage_named
from terabox_crm.dsr import services as dsr_services
from terabox_crm.dsr.models import Submission
from terabox_crm.exports import services as export_services
from terabox_crm.imports.tests.helpers import csv_bytes
from terabox_crm.imports.tests.helpers import upload as import_upload
from terabox_crm.webhooks import fanout, services
from terabox_crm.webhooks.models import Delivery


@pytest.fixture
def workspace(client, cast, make_token):
    """One record of every kind in Acme, made through the API where it can be;
    the path parameters of each GET operation, filled with their ids."""
    secret = make_token(cast.owner, scopes="read,write")
    # The owner also answers privacy requests, so their list is read too.
    cast.owner_membership.is_privacy_officer = True
    with scopes_disabled():
        cast.owner_membership.save(update_fields=["is_privacy_officer"])

    def post(url, body):
        response = client.post(
            url, json.dumps(body), content_type="application/json", secure=True, **bearer(secret)
        )
        assert response.status_code in (200, 201), (url, response.content)
        return response.json()

    pipeline = make_pipeline(cast.acme, cast.owner)
    company = post("/api/v1/companies/", {"name": "Acme Trading"})
    contact = post("/api/v1/contacts/", {"family_name": "Yamada", "company_id": company["id"]})
    post("/api/v1/tags/", {"name": "vip"})
    deal = post(
        "/api/v1/deals/",
        {
            "name": "Renewal",
            "stage": str(stage_named(pipeline, "Lead").pk),
            "expected_close_date": "2026-09-30",
        },
    )
    activity = post(
        "/api/v1/activities/",
        {
            "kind": "call",
            "subject": "Kick-off",
            "occurred_at": "2026-04-01T09:30:00+09:00",
            "deal": deal["id"],
        },
    )
    task = post(
        "/api/v1/tasks/",
        {
            "title": "Call back",
            "due_at": "2026-04-02T09:00:00+09:00",
            "remind_at": "2026-04-02T08:30:00+09:00",
        },
    )
    post(f"/api/v1/tasks/{task['id']}/complete/", {})
    ticket = post("/api/v1/tickets/", {"subject": "Help", "contact": contact["id"]})
    post(f"/api/v1/tickets/{ticket['id']}/reply/", {"body": "On it"})
    incident = post(
        "/api/v1/incidents/", {"title": "Phished", "detected_at": "2026-04-01T09:30:00+09:00"}
    )
    post(f"/api/v1/incidents/{incident['id']}/timeline/", {"text": "Password reset"})
    client.post(
        "/api/v1/contacts/",
        "[" * 100 + "]" * 100,
        content_type="application/json",
        secure=True,
        **bearer(secret),
    )  # fmt: skip  (a security event)
    with override_settings(WEBHOOK_ALLOW_PRIVATE=True), scopes_disabled():
        endpoint = services.endpoint_create(
            membership=cast.owner_membership,
            url="https://127.0.0.1:9/hooks",
            event_names=["contact.created"],
            active=False,
        ).endpoint
        Delivery.objects.create(
            workspace=cast.acme,
            endpoint=endpoint,
            event="contact.created",
            object_id=contact["id"],
            payload=fanout.build_payload(
                event_id=endpoint.pk,
                event="contact.created",
                occurred_at=endpoint.created_at,
                workspace_id=cast.acme.pk,
                object_id=contact["id"],
            ),
            status=Delivery.Status.FAILED,
        )
        audit_event = AuditEvent.objects.filter(chain=str(cast.acme.pk)).order_by("-seq")
        security_event = audit_event.filter(action__startswith="security.").first()
        submission = Submission.objects.create(
            workspace=cast.acme,
            kind="access",
            email="requester@example.jp",
            email_index="x",
            verified_at=timezone.now(),
        )
        (privacy_request,) = dsr_services.submission_route(submission.pk)
        export = export_services.export_request(
            membership=cast.owner_membership, resource="contacts", format="csv", purpose="support"
        )
        imported = import_upload(cast.owner_membership, csv_bytes([["姓"], ["山田"]]))
        ids = {
            "/api/v1/imports/": str(imported.pk),
            "/api/v1/privacy-requests/": str(privacy_request.pk),
            "/api/v1/contacts/": contact["id"],
            "/api/v1/companies/": company["id"],
            "/api/v1/pipelines/": str(pipeline.pk),
            "/api/v1/deals/": deal["id"],
            "/api/v1/activities/": activity["id"],
            "/api/v1/tasks/": task["id"],
            "/api/v1/tickets/": ticket["id"],
            "/api/v1/incidents/": incident["id"],
            "/api/v1/audit-events/": audit_event.first().hash,
            "/api/v1/security-events/": security_event.hash,
            "/api/v1/webhook-endpoints/": str(endpoint.pk),
            "/api/v1/legal-holds/of-contact/": contact["id"],
            "/api/v1/exports/": str(export.pk),
        }
    post("/api/v1/legal-holds", {"contact": contact["id"], "reason": "Case 1"})
    return ids, secret


def test_every_date_time_of_every_get_answer_is_utc_with_z(client, workspace):
    ids, secret = workspace
    schema = SchemaGenerator().get_schema(request=None, public=True)
    # Every GET that answers JSON (a file download, such as an access export's zip, has no times).
    paths = [
        path
        for path, item in schema["paths"].items()
        if "get" in item
        and "application/json" in item["get"]["responses"].get("200", {}).get("content", {})
    ]
    found, walked = [], []
    for path in paths:
        url = path
        if "{" in path:
            prefix = path[: path.index("{")]
            url = re.sub(r"\{[^}]+\}", ids[prefix], path)
        response = client.get(url, secure=True, **bearer(secret))
        assert response.status_code == 200, (url, response.content[:200])
        walked.append(path)
        found += [(path, value) for value in date_times(response.json())]
    assert len(walked) == len(paths) > 20
    assert len(found) > 40
    assert [(path, value) for path, value in found if not UTC_FORM.fullmatch(value)] == []
