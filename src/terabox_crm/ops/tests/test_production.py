"""Production settings: ``check --deploy`` is clean, and production refuses to
start without its secrets instead of falling back to generated ones (S1, STYLE 9)."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.embedded_database]

COMMAND = str(Path(sys.executable).with_name("terabox-crm"))


def production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CRM_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        CRM_DATA_DIR=str(tmp_path),
        CRM_ENV="production",
        CRM_SECRET_KEY=secrets.token_urlsafe(50),
        CRM_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        CRM_ALLOWED_HOSTS="crm.example.com",
        CRM_AUDIT_SIGNING_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [COMMAND, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run(
        ["manage", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


@pytest.mark.parametrize(
    "missing", ["CRM_SECRET_KEY", "CRM_MASTER_KEY", "CRM_ALLOWED_HOSTS", "CRM_AUDIT_SIGNING_KEY"]
)
def test_production_refuses_to_start_without(missing, tmp_path):
    result = run(["serve", "--port", "0"], production_env(tmp_path, **{missing: None}))
    assert result.returncode == 2
    assert f"CRM_ENV=production requires {missing}" in result.stderr
    assert "Traceback" not in result.stderr
    # Nothing was generated in place of the missing secret.
    assert not (tmp_path / "keys" / "secret_key").exists()
    assert not (tmp_path / "keys" / "master.key").exists()
    assert not (tmp_path / "keys" / "audit_signing.pem").exists()


def test_production_refuses_a_master_key_that_is_not_32_bytes(tmp_path):
    env = production_env(tmp_path, CRM_MASTER_KEY=base64.b64encode(b"short").decode())
    result = run(["serve", "--port", "0"], env)
    assert result.returncode == 2
    assert "CRM_MASTER_KEY must be 32 bytes" in result.stderr


def test_a_misspelt_environment_name_is_refused(tmp_path):
    result = run(["manage", "check"], production_env(tmp_path, CRM_ENV="prodution"))
    assert result.returncode == 2
    assert "CRM_ENV must be 'development' or 'production'" in result.stderr


def test_secrets_can_come_from_files(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(secrets.token_urlsafe(50))
    master_file = tmp_path / "master"
    master_file.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    env = production_env(
        tmp_path / "data",
        CRM_SECRET_KEY=None,
        CRM_MASTER_KEY=None,
        CRM_SECRET_KEY_FILE=str(secret_file),
        CRM_MASTER_KEY_FILE=str(master_file),
    )
    result = run(["manage", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stderr
