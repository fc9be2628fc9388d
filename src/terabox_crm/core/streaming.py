"""Streamed responses served asynchronously under ASGI.

``terabox-crm serve`` runs Django under ASGI (uvicorn). Every streamed
response there — a static file from WhiteNoise (a ``FileResponse``), a privacy
export decrypted as it streams (``StreamingHttpResponse`` in dsr) — was built
around a synchronous iterator, which Django's ASGI handler can only drain by
first reading it whole into memory, logging ``StreamingHttpResponse must
consume synchronous iterators in order to serve them asynchronously`` each
time. Reading an export of a large contact whole also defeats streaming it
(P8, and "think of 1M contacts").

``StreamingASGIHandler`` (the application asgi.py serves) gives such a
response an asynchronous iterator that pulls one chunk at a time from the
synchronous one in a worker thread: files in any thread, other iterators
(which may read the database: key lookups) in Django's thread-sensitive one.
It is the handler, not a middleware: Django runs a sync-capable middleware in
sync mode when the middleware inside it is sync, so one would never see the
ASGI side. Under WSGI (tests, ``manage``) nothing changes: synchronous
iterators are what a WSGI server wants.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import FileResponse, HttpResponseBase

_END = object()


def _next(iterator: Iterator[bytes]):
    return next(iterator, _END)


async def chunks_in_thread(iterator: Iterator[bytes], *, thread_sensitive: bool) -> AsyncIterator:
    """Each chunk of a synchronous iterator, read in a worker thread."""
    pull = sync_to_async(_next, thread_sensitive=thread_sensitive)
    while (chunk := await pull(iterator)) is not _END:
        yield chunk


def make_async(response: HttpResponseBase) -> HttpResponseBase:
    """Give a streamed response with a synchronous iterator an asynchronous one."""
    if not getattr(response, "streaming", False) or response.is_async:
        return response
    iterator = iter(response.streaming_content)
    # The response keeps closing what it was given (a file, a generator):
    # ``_resource_closers`` was filled when the iterator was first set.
    response.streaming_content = chunks_in_thread(
        iterator, thread_sensitive=not isinstance(response, FileResponse)
    )
    return response


class StreamingASGIHandler(ASGIHandler):
    """Django's ASGI handler, giving each streamed response an async iterator."""

    async def run_get_response(self, request):
        return make_async(await super().run_get_response(request))


def get_asgi_application() -> StreamingASGIHandler:
    """``django.core.asgi.get_asgi_application`` with the handler above."""
    django.setup(set_prefix=False)
    return StreamingASGIHandler()
