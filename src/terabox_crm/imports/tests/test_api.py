"""``/api/v1/imports/`` (SPEC §2, §4): a multipart upload with options and a
mapping starts a dry run or the import; the list and the detail show the
counts, status and rows; bad input gets problem details and keeps nothing;
another workspace's import is a 404."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_scopes import scopes_disabled

from terabox_crm.api.services import token_create
from terabox_crm.contacts.models import Contact
from terabox_crm.imports.models import Import
from terabox_crm.imports.tests.helpers import csv_bytes, member_of, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

API = "/api/v1/imports/"
FILE = csv_bytes(
    [["姓", "Email", "Note"], ["山田", "hanako@example.jp", "x"], ["佐藤", "bad", "y"]]
)


def _token(cast, user, scopes="read,write") -> dict:
    created = token_create(membership=member_of(cast.acme, user), name="script", scopes=scopes)
    return {"HTTP_AUTHORIZATION": f"Bearer {created.secret}"}


def _post(client, auth, data=FILE, name="people.csv", **fields):
    body = {"file": SimpleUploadedFile(name, data), **fields}
    return client.post(API, body, secure=True, **auth)


def test_a_token_uploads_checks_and_then_applies_an_import(
    client, cast, django_capture_on_commit_callbacks
):
    auth = _token(cast, cast.manager)
    with django_capture_on_commit_callbacks(execute=True):
        made = _post(client, auth, mapping=json.dumps({"姓": "family_name", "Email": "email"}))
    assert made.status_code == 202, made.content
    body = made.json()
    assert body["status"] == "queued" and body["dry_run"] is True
    assert body["columns"] == [
        {"column": "姓", "field": "family_name"},
        {"column": "Email", "field": "email"},
        {"column": "Note", "field": ""},
    ]
    detail = client.get(f"{API}{body['id']}/", secure=True, **auth).json()
    assert detail["status"] == "checked" and (detail["created"], detail["errors"]) == (1, 1)
    assert detail["rows"] == [
        {
            "number": 3,
            "outcome": "error",
            "code": "invalid",
            "reason": detail["rows"][0]["reason"],
            "field": "email",
            "object_id": None,
            "suppressed": False,
        }
    ]
    with scopes_disabled():
        assert not Contact.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ran = client.post(
            f"{API}{body['id']}/run/", {}, content_type="application/json", secure=True, **auth
        )
    assert ran.status_code == 202, ran.content
    detail = client.get(f"{API}{body['id']}/", secure=True, **auth).json()
    assert detail["status"] == "done" and detail["created"] == 1 and detail["percent"] == 100
    listed = client.get(API, secure=True, **auth).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    report = client.get(f"{API}{body['id']}/report/", secure=True, **auth)
    assert report.status_code == 200


def test_an_xlsx_upload_is_mapped_automatically(client, cast, django_capture_on_commit_callbacks):
    auth = _token(cast, cast.manager)
    data = xlsx_bytes([["会社名", "電話番号", "都道府県"], ["テラ商事", "03-1234-5678", "東京都"]])
    with django_capture_on_commit_callbacks(execute=True):
        made = _post(client, auth, data, "companies.xlsx", resource="companies", dry_run="false")
    assert made.status_code == 202, made.content
    detail = client.get(f"{API}{made.json()['id']}/", secure=True, **auth).json()
    assert (detail["status"], detail["created"]) == ("done", 1)


@pytest.mark.parametrize(
    ("fields", "data", "status", "problem"),
    [
        ({"mapping": json.dumps({"Nope": "email"})}, FILE, 400, "unknown-column"),
        ({"mapping": json.dumps({"姓": "shoe_size"})}, FILE, 400, "unknown-field"),
        ({}, b"a,b\r\n\x81\x20\xe5\r\n", 400, "bad-encoding"),
        ({}, b"\x89PNG\r\n\x1a\n\x00\x00", 415, "unsupported-file-type"),
        ({"source": "third_party"}, FILE, 400, "validation"),
    ],
)
def test_bad_input_gets_problem_details_and_keeps_nothing(
    client, cast, fields, data, status, problem
):
    auth = _token(cast, cast.manager)
    response = _post(client, auth, data, **fields)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/" + problem)
    with scopes_disabled():
        assert not Import.objects.exists()


@override_settings(MAX_IMPORT_BODY_BYTES=1000)
def test_a_file_over_the_import_limit_is_413(client, cast):
    auth = _token(cast, cast.manager)
    response = _post(client, auth, b"a,b\r\n" + b"x,y\r\n" * 400)
    assert response.status_code == 413
    assert response.json()["type"].endswith("/too-large")


def test_the_import_limit_is_larger_than_the_request_limit(settings):
    assert settings.MAX_IMPORT_BODY_BYTES > settings.MAX_REQUEST_BODY_BYTES


def test_a_member_without_the_import_permission_is_refused(client, cast):
    auth = _token(cast, cast.member)
    response = _post(client, auth)
    assert response.status_code == 403
    with scopes_disabled():
        assert not Import.objects.exists()


def test_another_workspaces_import_is_a_404(client, cast):
    item = upload(member_of(cast.globex, cast.outsider), FILE)
    auth = _token(cast, cast.owner)
    for suffix in ("", "report/"):
        assert client.get(f"{API}{item.pk}/{suffix}", secure=True, **auth).status_code == 404
    response = client.post(
        f"{API}{item.pk}/run/", {}, content_type="application/json", secure=True, **auth
    )
    assert response.status_code == 404
