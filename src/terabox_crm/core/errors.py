"""The error core services raise when they refuse a request.

A refusal is a ``ValidationError`` so a form shows it like any other error,
with a translated message and a stable ``code`` that tests and the API rely
on. ``status`` is the HTTP status a view answers with.

A refusal that is also a security event (a grant above one's own rank, an
attempt on a higher-ranked member or the last owner, an expired or
wrong-address invite) carries ``audit_event``: the keyword arguments of the
``audit.record`` call that puts it on record. The service records it *after*
its own transaction has rolled back (``core.refusals.recorded_after_rollback``),
so the attempt is on the audit chain although nothing changed. Domain
refusals (``ServiceRefusal``) carry theirs in ``audit_events`` the same way:
a link to a record the actor may not read, or a run of user ids that are not
members of the workspace (S6, S7).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class PolicyError(ValidationError):
    """A core service refused the request; nothing was changed."""

    def __init__(
        self,
        message,
        *,
        code: str,
        status: int = 403,
        params: dict | None = None,
        audit_event: dict | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.status = status
        self.audit_event = audit_event
        self.recorded = False

    @property
    def audit_events(self) -> list[dict]:
        """The security events this refusal puts on record (at most one)."""
        return [self.audit_event] if self.audit_event else []

    @property
    def text(self) -> str:
        """The translated message, in the language active now."""
        message = str(self.message)
        return message % self.params if self.params else message

    def __str__(self) -> str:
        return self.text


class ServiceRefusal(ValueError):
    """A domain service (deals, activities, support …) refused a request and
    changed nothing: a translated ``message``, a stable ``code``, the HTTP
    ``status`` a view answers with and, for form errors, the ``field``.

    Views show ``message``; the API turns it into problem details with
    ``api.problems.refusal_as_api_error``.
    """

    def __init__(
        self,
        message,
        *,
        code: str,
        status: int = 400,
        field: str | None = None,
        audit_events: list[dict] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.field = field
        self.audit_events = list(audit_events or [])
        self.recorded = False
