"""Fixtures of the accounts tests: enrolled users, a real SMTP server, the
sign-in forms driven like a browser would."""

from __future__ import annotations

import socket
import threading

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.accounts import mfa
from terabox_crm.accounts.models import TOTPDevice
from terabox_crm.audit.models import AuditEvent


def enrol(user) -> TOTPDevice:
    """Give ``user`` a confirmed TOTP device (and recovery codes on ``device.codes``)."""
    device = TOTPDevice.objects.create(
        user=user, secret=mfa.new_secret(), confirmed=True, confirmed_at=timezone.now()
    )
    device.codes = mfa.replace_recovery_codes(user)
    return device


def sign_in(client, email, password, **extra):
    return client.post(reverse("accounts:login"), {"email": email, "password": password}, **extra)


def events(action, **filters):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


@pytest.fixture
def relaxed(cast):
    """Acme with two-factor relaxed: members and viewers may sign in with a password alone."""
    cast.acme.mfa_required_for_all = False
    cast.acme.save(update_fields=["mfa_required_for_all"])
    return cast


class _Collector:
    def __init__(self) -> None:
        self.messages = []
        self.event = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this hook by name
        self.messages.append(envelope)
        self.event.set()
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that Django's SMTP backend delivers to."""
    from aiosmtpd.controller import Controller

    collector = _Collector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield collector
    finally:
        controller.stop()
