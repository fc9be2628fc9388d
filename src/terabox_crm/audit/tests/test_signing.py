"""Where the checkpoint signing key comes from, and how trust survives rotation."""

import base64
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from terabox_crm import datadir
from terabox_crm.audit import checkpoints, signing
from terabox_crm.audit.models import SigningKey
from terabox_crm.audit.tests.conftest import chain_of, record_many
from terabox_crm.env import ConfigurationError


def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def raw_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(
        key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    ).decode()


def use_key(monkeypatch, text: str) -> None:
    monkeypatch.setenv("CRM_AUDIT_SIGNING_KEY", text)
    signing.reset_cache()


def test_embedded_default_generates_a_private_key_file_in_the_data_dir(monkeypatch):
    monkeypatch.delenv("CRM_AUDIT_SIGNING_KEY", raising=False)
    signer = signing.current()
    path = datadir.private_dir("keys") / signing.GENERATED_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (
        signing.parse_private_key(path.read_text())
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        == signer.public_raw
    )
    assert signing.signing_key_is_generated()


def test_key_from_the_environment_as_pem(monkeypatch):
    key = Ed25519PrivateKey.generate()
    use_key(monkeypatch, pem(key))
    assert signing.current().public_key.public_bytes_raw() == key.public_key().public_bytes_raw()
    assert not signing.signing_key_is_generated()


def test_key_from_the_environment_as_base64_raw_bytes(monkeypatch):
    key = Ed25519PrivateKey.generate()
    use_key(monkeypatch, raw_b64(key))
    assert signing.current().public_key.public_bytes_raw() == key.public_key().public_bytes_raw()


def test_key_from_a_file_named_by_the_environment(monkeypatch, tmp_path):
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "audit.pem"
    path.write_text(pem(key))
    monkeypatch.delenv("CRM_AUDIT_SIGNING_KEY", raising=False)
    monkeypatch.setenv("CRM_AUDIT_SIGNING_KEY_FILE", str(path))
    signing.reset_cache()
    assert signing.current().public_key.public_bytes_raw() == key.public_key().public_bytes_raw()


@pytest.mark.parametrize("text", ["not a key", base64.b64encode(b"short").decode()])
def test_a_malformed_key_is_a_configuration_error(monkeypatch, text):
    use_key(monkeypatch, text)
    with pytest.raises(ConfigurationError, match="CRM_AUDIT_SIGNING_KEY"):
        signing.current()


def test_production_without_a_key_refuses_to_sign(monkeypatch, settings):
    monkeypatch.delenv("CRM_AUDIT_SIGNING_KEY", raising=False)
    settings.PRODUCTION = True
    signing.reset_cache()
    with pytest.raises(ConfigurationError, match="production requires CRM_AUDIT_SIGNING_KEY"):
        signing.current()


def test_the_current_key_registers_itself_once(cast):
    record_many(1, workspace=cast.acme)
    checkpoints.checkpoint_stale_chains()
    record_many(1, workspace=cast.acme)
    checkpoints.checkpoint_stale_chains()
    assert list(SigningKey.objects.values_list("key_id", flat=True)) == [signing.current().key_id]


def test_a_new_key_vouches_for_the_keys_before_it(cast, monkeypatch):
    record_many(1, workspace=cast.acme)
    checkpoints.checkpoint_chain(chain_of(cast.acme))
    old = signing.current()
    use_key(monkeypatch, pem(Ed25519PrivateKey.generate()))
    record_many(1, workspace=cast.acme)
    checkpoints.checkpoint_chain(chain_of(cast.acme))
    new_row = SigningKey.objects.get(key_id=signing.current().key_id)
    assert new_row.predecessors == [{"key_id": old.key_id, "public_key": old.public_b64}]
    assert set(signing.trusted_keys()) == {old.key_id, signing.current().key_id}


def test_a_key_slipped_into_the_table_is_not_trusted(cast):
    record_many(1, workspace=cast.acme)
    checkpoints.checkpoint_chain(chain_of(cast.acme))
    rogue = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    SigningKey.objects.create(
        key_id=signing.key_id_of(rogue),
        public_key=base64.b64encode(rogue).decode(),
        created_at=SigningKey.objects.get().created_at,
        endorsement="",
    )
    assert signing.key_id_of(rogue) not in signing.trusted_keys()


def test_readiness_check_reports_a_missing_production_key(monkeypatch, settings):
    monkeypatch.delenv("CRM_AUDIT_SIGNING_KEY", raising=False)
    settings.PRODUCTION = True
    signing.reset_cache()
    assert any("CRM_AUDIT_SIGNING_KEY" in problem for problem in signing.check())


def test_readiness_check_passes_with_a_key(monkeypatch):
    use_key(monkeypatch, raw_b64(Ed25519PrivateKey.generate()))
    assert signing.check() == []
