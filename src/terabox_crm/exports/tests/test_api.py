"""``/api/v1/exports/`` (S4, S5): a token with the ``export`` scope asks,
polls the progress, approves and downloads once; bad input gets problem
details and changes nothing."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from terabox_crm.api.services import token_create
from terabox_crm.exports.models import Export
from terabox_crm.exports.tests.helpers import contact_in, file_rows, member_of
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

API = "/api/v1/exports/"


def _token(cast, user, scopes="read,write,export") -> dict:
    created = token_create(membership=member_of(cast.acme, user), name="script", scopes=scopes)
    return {"HTTP_AUTHORIZATION": f"Bearer {created.secret}"}


def _post(client, auth, body):
    return client.post(API, body, content_type="application/json", **auth)


def test_a_token_exports_with_the_lists_filters_and_downloads_once(
    client, cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager, family="顧客", stage="customer")
    contact_in(manager, family="見込み", stage="lead")
    auth = _token(cast, cast.manager)
    with django_capture_on_commit_callbacks(execute=True):
        made = _post(
            client,
            auth,
            {
                "resource": "contacts",
                "format": "json",
                "purpose": "support",
                "filters": {"stage": "customer"},
                "fields": ["family_name", "stage"],
            },
        )
    assert made.status_code == 202, made.content
    body = made.json()
    # Answered before the count: the job counts once the request commits.
    assert body["status"] == "counting" and body["matched"] == 0
    detail = client.get(f"{API}{body['id']}/", **auth).json()
    assert detail["matched"] == 1 and detail["excluded_before"] == {}
    assert detail["status"] == "ready" and detail["percent"] == 100 and detail["rows"] == 1
    assert detail["failure"] == "" and detail["failure_reason"] == ""
    assert len(detail["sha256"]) == 64
    listed = client.get(API, **auth).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    first = client.get(f"{API}{body['id']}/download/", **auth)
    assert first.status_code == 200
    (row,) = file_rows("json", b"".join(first.streaming_content))
    assert row["family_name"] == "顧客"
    second = client.get(f"{API}{body['id']}/download/", **auth)
    assert second.status_code == 410, second.content
    assert second["Content-Type"].startswith("application/problem+json")


def test_a_token_without_the_export_scope_is_refused(client, cast):
    auth = _token(cast, cast.manager, scopes="read,write")
    answer = _post(client, auth, {"resource": "contacts", "format": "csv", "purpose": "support"})
    assert answer.status_code == 403
    assert "export" in answer.json()["title"]
    with scopes_disabled():
        assert not Export.objects.exists()


def test_a_session_needs_a_fresh_step_up(client, cast):
    login(client, cast.manager)
    answer = client.post(
        API,
        {"resource": "contacts", "format": "csv", "purpose": "support"},
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert answer.json()["type"].endswith("step-up-required")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resource": "invoices", "format": "csv", "purpose": "support"}, "resource"),
        ({"resource": "contacts", "format": "pdf", "purpose": "support"}, "format"),
        ({"resource": "contacts", "format": "csv", "purpose": "nope"}, "purpose"),
        (
            {"resource": "contacts", "format": "csv", "purpose": "support", "fields": ["ssn"]},
            "fields",
        ),
        (
            {
                "resource": "contacts",
                "format": "csv",
                "purpose": "support",
                "filters": {"stage": "x"},
            },
            "filters",
        ),
        (
            {
                "resource": "contacts",
                "format": "csv",
                "purpose": "support",
                "filters": {"owner": "1"},
            },
            "filters",
        ),
        (
            {"resource": "contacts", "format": "csv", "purpose": "support", "filters": ["stage"]},
            "filters",
        ),
    ],
)
def test_bad_input_gets_problem_details_and_changes_nothing(client, cast, body, field):
    auth = _token(cast, cast.manager)
    answer = _post(client, auth, body)
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    problem = answer.json()
    assert field in problem.get("errors", {}) or field in str(problem)
    with scopes_disabled():
        assert not Export.objects.exists()


def test_a_member_cannot_export_through_the_api(client, cast):
    auth = _token(cast, cast.member)
    answer = _post(client, auth, {"resource": "contacts", "format": "csv", "purpose": "support"})
    assert answer.status_code == 403


def test_the_requester_cannot_approve_their_own_export_through_the_api(
    client, cast, django_capture_on_commit_callbacks
):
    from terabox_crm.exports import services

    services.settings_change(membership=member_of(cast.acme, cast.owner), approval_threshold=1)
    admin = member_of(cast.acme, cast.admin)
    for n in range(2):
        contact_in(admin, family=f"承認{n}")
    auth = _token(cast, cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        made = _post(client, auth, {"resource": "contacts", "format": "csv", "purpose": "support"})
    assert made.json()["status"] == "counting"
    counted = client.get(f"{API}{made.json()['id']}/", **auth).json()
    assert counted["status"] == "awaiting" and counted["approval_required"]
    assert counted["matched"] == 2
    refused = client.post(f"{API}{made.json()['id']}/approve/", **auth)
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/problem+json")
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(f"{API}{made.json()['id']}/approve/", **_token(cast, cast.owner))
    assert approved.status_code == 200 and approved.json()["approved_by"] == str(cast.owner.pk)


def test_another_workspaces_export_is_not_found(client, cast, django_capture_on_commit_callbacks):
    outsider = member_of(cast.globex, cast.outsider)
    contact_in(outsider)
    from terabox_crm.exports.tests.helpers import request_export

    item = request_export(outsider, django_capture_on_commit_callbacks)
    auth = _token(cast, cast.owner)
    assert client.get(f"{API}{item.pk}/", **auth).status_code == 404
    assert client.get(f"{API}{item.pk}/download/", **auth).status_code == 404
    assert client.post(f"{API}{item.pk}/approve/", **auth).status_code == 404
    with scopes_disabled():
        item.refresh_from_db()
    assert item.status == "ready"


@pytest.mark.parametrize("bad_id", ["null,null", "0", "not-a-uuid", "0" * 36, "-" * 36])
def test_a_malformed_export_id_is_not_found_not_a_server_error(client, cast, bad_id):
    """Found by the API fuzz: a malformed id reached the service and answered 500."""
    auth = _token(cast, cast.owner)
    for method, url in (
        ("get", f"{API}{bad_id}/"),
        ("get", f"{API}{bad_id}/download/"),
        ("post", f"{API}{bad_id}/approve/"),
    ):
        answer = getattr(client, method)(url, secure=True, **auth)
        assert answer.status_code == 404, (url, answer.status_code)
        assert answer["Content-Type"] == "application/problem+json"
