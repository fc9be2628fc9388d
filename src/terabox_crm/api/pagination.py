"""Keyset (cursor) pagination for every API list: never OFFSET (NOTES.md:
86 ms at offset 50,000 on PostgreSQL against 0.5 ms with a keyset).

``?page_size=`` chooses 1 to 200 items (default 50); anything else —
``0``, ``201``, ``abc``, ``null``, an empty value — is a 400 problem, not a
silent fallback to the default, so the API refuses what its schema refuses.
The cursor is opaque to clients; one that does not decode, or names a
position of the wrong type, answers 400 problem details of type
``…/invalid-cursor`` instead of a 404 or a server error.
"""

from __future__ import annotations

import re

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class InvalidCursor(exceptions.APIException):
    status_code = 400
    default_detail = _("The page cursor is not valid. Start again from the first page.")
    default_code = "invalid_cursor"
    problem_type = "invalid-cursor"


_DIGITS = re.compile(r"[0-9]{1,6}")


class KeysetPagination(CursorPagination):
    """Cursor pagination over a unique, never-changing ordering.

    Views set ``cursor_ordering`` (e.g. ``"-seq"``); the default ``"-pk"``
    suits any model whose primary key grows with time.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"

    cursor_query_description = _("The cursor of the page to read: from next or previous.")
    page_size_query_description = _("How many items a page holds: 1 to 200 (default 50).")

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    {"minimum": 1, "maximum": self.max_page_size, "default": self.page_size}
                )
        return parameters

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["next", "previous", "results"]
        for name in ("next", "previous"):
            paginated["properties"][name].pop("example", None)
        return paginated

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "cursor_ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise InvalidCursor() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        """A position must be a value of the ordering field, or the query would fail."""
        name = self.ordering[0].lstrip("-")
        try:
            field = self._model._meta.pk if name == "pk" else self._model._meta.get_field(name)
            field.to_python(position)
        except (FieldDoesNotExist, ValidationError, ValueError, TypeError):
            raise InvalidCursor() from None
