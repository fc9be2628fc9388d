"""The SSRF guard: private, local and reserved addresses are refused (SPEC §4, webhooks)."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from terabox_crm.webhooks import services, ssrf
from terabox_crm.webhooks.models import Endpoint

PUBLIC_IP = "93.184.215.14"


def fake_dns(monkeypatch, table: dict[str, list[str]]):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            return [
                (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, port))
                for ip in table[host]
            ]  # fmt: skip
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[2002:7f00:1::1]/hook",  # 6to4 around 127.0.0.1
        "https://[::]/hook",
        "https://rebind.example/hook",
        "https://mixed.example/hook",
    ],
)
def test_private_addresses_are_refused(monkeypatch, url):
    fake_dns(
        monkeypatch,
        {"rebind.example": ["127.0.0.1"], "mixed.example": [PUBLIC_IP, "10.0.0.5"]},
    )
    with pytest.raises(ValidationError) as refused:
        ssrf.check(url)
    assert refused.value.code == "private_address"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://93.184.215.14/hook", "scheme"),
        ("ftp://93.184.215.14/hook", "scheme"),
        ("https://user:pw@93.184.215.14/hook", "credentials"),
        ("https://93.184.215.14/hook#x", "fragment"),
        ("https:///hook", "invalid"),
        ("https://[::1/hook", "invalid"),
        ("", "required"),
        ("https://no-such-host.invalid/hook", "unresolvable"),
    ],
)
def test_malformed_urls_are_refused(url, code):
    with pytest.raises(ValidationError) as refused:
        ssrf.check(url)
    assert refused.value.code == code


def test_a_public_https_url_is_accepted(monkeypatch):
    fake_dns(
        monkeypatch, {"hooks.example.com": [PUBLIC_IP, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]}
    )
    target = ssrf.check("https://hooks.example.com:8443/in?x=1")
    assert target.host == "hooks.example.com"
    assert target.port == 8443 and target.path == "/in?x=1"
    assert target.addresses[0] == PUBLIC_IP


def test_the_operator_may_allow_private_addresses(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert ssrf.check("http://127.0.0.1:9/hook").addresses == ("127.0.0.1",)


def test_registration_refuses_and_changes_nothing(cast):
    with pytest.raises(ValidationError):
        services.endpoint_create(
            membership=cast.admin_membership,
            url="https://169.254.169.254/",
            event_names=["contact.created"],
        )
    with scopes_disabled():
        assert not Endpoint.objects.exists()
