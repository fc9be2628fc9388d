"""Receivers for webhook tests: real HTTP(S) servers on 127.0.0.1, in a thread."""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_scopes import scopes_disabled

from terabox_crm.core.selectors import membership_in
from terabox_crm.webhooks import services


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    url: str
    status: int = 204
    requests: list[Received] = field(default_factory=list)


def _serve(receiver: Receiver, server: ThreadingHTTPServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers), body))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def receiver(settings):
    """An HTTP receiver on 127.0.0.1, with private addresses allowed (operator setting)."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    found = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/crm?k=1")
    _serve(found, server)
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def tls_receiver(settings, tmp_path, monkeypatch):
    """An HTTPS receiver for ``localhost`` on 127.0.0.1 with a self-signed certificate
    that the delivery code is made to trust (and only that one)."""
    from terabox_crm.ops.tls import generate_self_signed
    from terabox_crm.webhooks import delivery

    settings.WEBHOOK_ALLOW_PRIVATE = True
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    generate_self_signed(cert, key, now=datetime.now(UTC))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    monkeypatch.setattr(
        delivery, "tls_context", lambda: ssl.create_default_context(cafile=str(cert))
    )
    # "localhost" must resolve to the IPv4 address the receiver listens on.
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "localhost":
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    found = Receiver(url=f"https://localhost:{port}/tls-hook")
    _serve(found, server)
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_endpoint(cast):
    def make(url, workspace=None, events=("contact.created",), actor=None):
        with scopes_disabled():
            return services.endpoint_create(
                membership=membership_in(workspace or cast.acme, actor or cast.admin),
                url=url,
                description="CRM sync",
                event_names=list(events),
            )

    return make
