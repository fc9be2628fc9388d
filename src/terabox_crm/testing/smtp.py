"""A real SMTP server on 127.0.0.1 (aiosmtpd) for email tests.

The ``smtp_server`` fixture (registered in the root conftest) points
Django's SMTP backend at it and yields a collector of received envelopes.
"""

from __future__ import annotations

import logging
import socket
import threading

import pytest

# aiosmtpd logs every connection at INFO from its own thread, which can outlive
# a test's log capture (under xdist: "--- Logging error ---" at the end).
logging.getLogger("mail.log").setLevel(logging.WARNING)


class Collector:
    def __init__(self) -> None:
        self.messages = []
        self.event = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this hook by name
        self.messages.append(envelope)
        self.event.set()
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    from aiosmtpd.controller import Controller

    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""  # nosec B105  # the loopback test server takes no password
    settings.EMAIL_TIMEOUT = 10
    try:
        yield collector
    finally:
        controller.stop()
