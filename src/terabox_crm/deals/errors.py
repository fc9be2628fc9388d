"""Refusals of the deals services: a translated message and an HTTP status."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class DealError(ValidationError):
    def __init__(self, message, *, code: str, status: int = 400, field: str | None = None):
        super().__init__(message, code=code)
        self.status = status
        self.field = field
