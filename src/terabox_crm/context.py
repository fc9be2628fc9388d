"""Who is acting, from where: the request context every service and audit
event reads. Set by ``RequestContextMiddleware`` for web requests, by the CLI
and job worker for their own work (``system_context``)."""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ip: str = ""
    user_agent: str = ""
    channel: str = "web"  # web, api, cli, job


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "terabox_request_context", default=None
)


def current() -> RequestContext:
    ctx = _current.get()
    return ctx if ctx is not None else RequestContext(channel="system")


@contextlib.contextmanager
def activate(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def system_context(channel: str) -> contextlib.AbstractContextManager[RequestContext]:
    """Context for work no browser started: ``cli`` or ``job``."""
    return activate(RequestContext(channel=channel))
