"""The body limit at the ASGI door: no oversized body is read, chunked or not (S7)."""

from __future__ import annotations

import asyncio

import pytest

from terabox_crm.ops.bodylimit import BodySizeLimit

MB = 1024 * 1024


def http_scope(path: str = "/accounts/login/", headers: list | None = None) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8443),
    }


class Client:
    """Feeds body chunks to the app and records what it sent back."""

    def __init__(self, chunks: list[bytes]):
        self.chunks = list(chunks)
        self.delivered = 0
        self.sent: list[dict] = []
        self.answered: asyncio.Event | None = None

    async def receive(self) -> dict:
        if self.chunks:
            chunk = self.chunks.pop(0)
            self.delivered += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}
        # Like a browser: the connection stays open until the answer has come.
        await self._answered().wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            self._answered().set()

    def _answered(self) -> asyncio.Event:
        if self.answered is None:
            self.answered = asyncio.Event()
        return self.answered

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.sent if m["type"] == "http.response.start")

    def header(self, name: bytes) -> bytes:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return {key.lower(): value for key, value in start["headers"]}.get(name, b"")


async def reading_app(scope, receive, send):
    """Reads the body the way Django's ASGI handler does, then reports its size."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    length = dict(scope["headers"]).get(b"content-length", b"-")
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-length", length)]})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def run(app, scope, client):
    asyncio.run(app(scope, client.receive, client.send))


def test_chunked_body_under_the_limit_passes_whole():
    client = Client([b"a" * MB, b"b" * MB])
    run(BodySizeLimit(reading_app, 3 * MB), http_scope(), client)
    assert client.sent[1]["body"] == str(2 * MB).encode()
    assert client.header(b"x-length") == b"-"


def test_chunked_body_over_the_limit_is_cut_and_declares_its_size():
    client = Client([b"a" * MB] * 10)
    run(BodySizeLimit(reading_app, 3 * MB), http_scope(), client)
    assert client.delivered == 4 * MB  # stopped reading at the first chunk past the limit
    assert int(client.header(b"x-length")) > 3 * MB


def test_declared_length_over_the_limit_reads_nothing():
    client = Client([b"a" * MB] * 5)
    scope = http_scope(headers=[(b"content-length", str(5 * MB).encode())])
    run(BodySizeLimit(reading_app, 3 * MB), scope, client)
    assert client.delivered == 0
    assert client.sent[1]["body"] == b"0"


def test_limit_can_be_read_at_call_time():
    client = Client([b"a" * MB] * 2)
    run(BodySizeLimit(reading_app, lambda: MB), http_scope(), client)
    assert int(client.header(b"x-length")) > MB


@pytest.mark.django_db(transaction=True)
def test_django_answers_413_page_for_an_oversized_chunked_upload(settings):
    from terabox_crm.asgi import application

    settings.MAX_REQUEST_BODY_BYTES = 2 * MB
    client = Client([b"a" * MB] * 6)
    run(application, http_scope(), client)
    assert client.status == 413
    assert client.header(b"content-type").startswith(b"text/html")
    assert b"frame-ancestors 'none'" in client.header(b"content-security-policy")


@pytest.mark.django_db(transaction=True)
def test_django_answers_413_problem_for_an_oversized_api_upload(settings):
    from terabox_crm.asgi import application

    settings.MAX_REQUEST_BODY_BYTES = 2 * MB
    client = Client([b"{" * MB] * 4)
    scope = http_scope("/api/v1/contacts/", headers=[(b"content-length", str(4 * MB).encode())])
    run(application, scope, client)
    assert client.status == 413
    assert client.header(b"content-type") == b"application/problem+json"
