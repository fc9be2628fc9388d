"""The typed readers of env.py that refuse a malformed setting at start-up."""

from __future__ import annotations

import pytest

from terabox_crm.env import ConfigurationError, env_subset, env_uri

DIRECTIVES = {"cache", "cookies", "storage"}


def test_subset_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("CRM_TEST_SUBSET", raising=False)
    assert env_subset("CRM_TEST_SUBSET", ["cache", "cookies"], DIRECTIVES) == ["cache", "cookies"]


def test_subset_reads_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("CRM_TEST_SUBSET", "cache, storage")
    assert env_subset("CRM_TEST_SUBSET", ["cookies"], DIRECTIVES) == ["cache", "storage"]


def test_subset_none_is_the_empty_list(monkeypatch):
    monkeypatch.setenv("CRM_TEST_SUBSET", "none")
    assert env_subset("CRM_TEST_SUBSET", ["cookies"], DIRECTIVES) == []


def test_subset_refuses_an_unknown_value(monkeypatch):
    monkeypatch.setenv("CRM_TEST_SUBSET", "cache,everything")
    with pytest.raises(ConfigurationError, match=r"CRM_TEST_SUBSET.*everything"):
        env_subset("CRM_TEST_SUBSET", ["cache"], DIRECTIVES)


@pytest.mark.parametrize(
    "value", ["mailto:security@example.com", "https://example.com/security-contact"]
)
def test_uri_accepts_mailto_and_https(monkeypatch, value):
    monkeypatch.setenv("CRM_TEST_URI", value)
    assert env_uri("CRM_TEST_URI", "", schemes=("mailto", "https")) == value


def test_uri_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("CRM_TEST_URI", raising=False)
    default = "https://127.0.0.1:8443/security/"
    assert env_uri("CRM_TEST_URI", default, schemes=("mailto", "https")) == default


@pytest.mark.parametrize(
    "value",
    [
        "security@example.com",  # no scheme
        "http://example.com/",  # not https
        "mailto:nobody",  # no address
        "https:///path-only",  # no host
        "mailto:a@example.com\nExpires: 1999-01-01T00:00:00Z",  # a second line
        "javascript:alert(1)",
    ],
)
def test_uri_refuses_what_is_not_a_contact(monkeypatch, value):
    monkeypatch.setenv("CRM_TEST_URI", value)
    with pytest.raises(ConfigurationError, match="CRM_TEST_URI"):
        env_uri("CRM_TEST_URI", "", schemes=("mailto", "https"))
