"""The request-body limit at the ASGI door (S7: bodies over 10 MB get 413).

``core.middleware.BodySizeLimitMiddleware`` answers 413 from the declared
``Content-Length``, but Django's ASGI handler reads the *whole* body into a
temporary file before any middleware runs, and a chunked upload declares no
length at all: without this wrapper a client could make the server spool any
amount of data to disk, and an oversized chunked body would end in a 400.

So this wrapper stops reading at the limit and lets Django answer: a declared
length over the limit gets an empty body at once; a chunked body is cut where
it crosses the limit and its ``content-length`` header is set to the bytes
seen. Either way Django builds a request whose ``CONTENT_LENGTH`` is over the
limit, and the middleware answers with the translated 413 page (or problem
details under ``/api/``) with every security header. The rest of the upload is
never stored; the server closes the connection after the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

END_OF_BODY: Message = {"type": "http.request", "body": b"", "more_body": False}


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _with_length(scope: Scope, length: int) -> None:
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
    scope["headers"] = [*headers, (b"content-length", str(length).encode("ascii"))]


class BodySizeLimit:
    """Wrap an ASGI app so that no request body beyond ``max_bytes`` is read."""

    def __init__(self, app: ASGIApp, max_bytes: int | Callable[[], int]) -> None:
        self.app = app
        self._max_bytes = max_bytes

    @property
    def max_bytes(self) -> int:
        return self._max_bytes() if callable(self._max_bytes) else self._max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        declared = declared_length(scope)
        state = {"seen": 0, "cut": declared is not None and declared > limit}

        async def limited_receive() -> Message:
            if state["cut"]:
                if not state.get("ended"):
                    state["ended"] = True
                    return dict(END_OF_BODY)
                # Django now only listens for a disconnect: drop the rest of an
                # upload unread rather than store it.
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return message
            message = await receive()
            if message["type"] == "http.request":
                state["seen"] += len(message.get("body", b""))
                if state["seen"] > limit:
                    state["cut"] = state["ended"] = True
                    _with_length(scope, state["seen"])
                    return dict(END_OF_BODY)
            return message

        await self.app(scope, limited_receive, send)
