"""/healthz and /readyz (S12): alive, ready, and not ready without saying why in detail."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey

pytestmark = pytest.mark.django_db


def test_healthz_answers_200(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_never_cached(client):
    response = client.get("/healthz")
    assert "no-store" in response["Cache-Control"]


def test_readyz_answers_200_with_every_check_ok(client):
    keyring.active_key(keyring.SYSTEM_SCOPE)  # a stored key to check
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "keys": "ok", "signing": "ok", "jobs": "ok", "cache": "ok"},
    }


def test_readyz_is_503_when_a_data_key_is_wrapped_under_another_master_key(client):
    keyring.active_key(keyring.SYSTEM_SCOPE)
    other_master = b"\x01" * 32
    DataKey.objects.create(
        key_id="f0reign0000000aa",
        scope="some-workspace",
        purpose=DataKey.Purpose.ENCRYPTION,
        wrapped=aes_key_wrap(other_master, b"\x02" * 32),
        kek_id="0123456789abcdef",
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503
    assert body["checks"]["keys"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert "keys" in body["detail"]


def test_readyz_ignores_destroyed_keys(client):
    DataKey.objects.create(
        key_id="destroyed000000a",
        scope="subject:erased",
        purpose=DataKey.Purpose.ENCRYPTION,
        status=DataKey.Status.DESTROYED,
        wrapped=None,
        kek_id="0123456789abcdef",
    )
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_job_queue_is_unreachable_and_hides_the_error(client, monkeypatch):
    from huey.contrib.djhuey import HUEY

    def unreachable():
        raise ConnectionError("redis://:hunter2-secret@10.0.0.9:6379 refused")

    monkeypatch.setattr(HUEY, "pending_count", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["jobs"] == "unavailable"
    assert b"hunter2" not in response.content
    assert b"10.0.0.9" not in response.content
    assert response["Retry-After"]


def test_readyz_refuses_post(client):
    assert client.post("/readyz").status_code == 405


def test_readyz_is_503_when_production_has_no_audit_signing_key(client, monkeypatch, settings):
    from terabox_crm.audit import signing

    monkeypatch.delenv("CRM_AUDIT_SIGNING_KEY", raising=False)
    settings.PRODUCTION = True
    signing.reset_cache()
    try:
        response = client.get("/readyz")
    finally:
        signing.reset_cache()
    assert response.status_code == 503
    assert response.json()["checks"]["signing"] == "unavailable"
    assert response.json()["checks"]["database"] == "ok"
