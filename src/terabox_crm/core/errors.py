"""The one error a service, a guard or a view check raises when it refuses.

``Refusal`` carries everything every surface needs to answer the same way
(S5, S6):

* ``code``: a stable string that tests and the API rely on;
* ``message``: translated, shown by forms, pages and problem details
  (``text`` with its ``params`` filled in);
* ``action``: the attempted action (``"deals.change"`` …), when known;
* ``status``: the HTTP status a view answers with (400, 403, 404 …);
* ``field``: the form field it belongs to, if any;
* ``audit_events``: the security events it puts on record — the keyword
  arguments of ``audit.record``. The service writes them *after* its own
  transaction has rolled back (``core.refusals.recorded_after_rollback``), so
  the attempt is on the audit chain although nothing changed; a refusal
  raised outside any service (a view's own check) is recorded at once by
  ``core.guards``.

It is a ``ValidationError``, so a form shows it like any other error, and
``api.problems.refusal_as_api_error`` turns it into problem details.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Refusal(ValidationError):
    """A request was refused and nothing was changed."""

    def __init__(
        self,
        message,
        *,
        code: str,
        status: int = 400,
        action: str = "",
        field: str | None = None,
        params: dict | None = None,
        audit_events: list[dict] | None = None,
        audit_event: dict | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.status = status
        self.action = action
        self.field = field
        self.audit_events = list(audit_events or [])
        if audit_event:
            self.audit_events.append(audit_event)
        self.recorded = False

    @property
    def audit_event(self) -> dict | None:
        """The first security event this refusal puts on record, if any."""
        return self.audit_events[0] if self.audit_events else None

    @property
    def text(self) -> str:
        """The translated message, in the language active now."""
        message = str(self.message)
        return message % self.params if self.params else message

    def __str__(self) -> str:
        return self.text


# Temporary aliases while ``core/services.py`` (being split into modules) and
# ``core/records.py`` still use the old names; rename those uses to
# ``Refusal`` and delete these two lines.
PolicyError = Refusal
ServiceRefusal = Refusal
