"""Streamed responses under ASGI get an asynchronous iterator (core/streaming.py).
The real server is exercised by tests/test_browser_api_docs.py."""

from __future__ import annotations

import asyncio
import io
import warnings

import pytest
from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from terabox_crm.core.streaming import StreamingASGIHandler, make_async


def _drain(response) -> bytes:
    async def read() -> bytes:
        return b"".join([chunk async for chunk in response])

    return asyncio.run(read())


def _serve_async(response):
    return make_async(response)


def test_a_sync_streaming_response_is_streamed_asynchronously_without_a_warning():
    pulled: list[int] = []

    def chunks():
        for index in range(3):
            pulled.append(index)
            yield f"part {index};".encode()

    response = _serve_async(StreamingHttpResponse(chunks()))
    assert response.is_async
    assert pulled == []  # nothing read before the server asks for it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _drain(response) == b"part 0;part 1;part 2;"
    assert pulled == [0, 1, 2]


@pytest.mark.django_db  # closing a response sends request_finished (closes DB connections)
def test_a_file_response_is_streamed_asynchronously_and_its_file_closed():
    handle = io.BytesIO(b"x" * 10_000)
    response = _serve_async(FileResponse(handle, filename="a.txt"))
    assert response.is_async
    assert response["Content-Length"] == "10000"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _drain(response) == b"x" * 10_000
    response.close()
    assert handle.closed


def test_other_responses_pass_unchanged():
    plain = HttpResponse(b"hello")
    assert _serve_async(plain) is plain
    assert plain.content == b"hello"


def _asgi_get(path: str) -> tuple[dict, bytes, list[str]]:
    """GET ``path`` from the ASGI application asgi.py serves, as uvicorn would."""
    handler = StreamingASGIHandler()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 443),
    }
    sent: list[dict] = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        sent.append(message)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(handler(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start, body, [str(w.message) for w in caught]


def test_the_asgi_application_streams_a_static_file_without_the_warning(settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    start, body, caught = _asgi_get("/static/web/app.css")
    assert start["status"] == 200
    assert len(body) > 1000
    assert [w for w in caught if "synchronous iterators" in w] == []
