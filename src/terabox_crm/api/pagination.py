"""Keyset (cursor) pagination for every API list: never OFFSET (NOTES.md:
86 ms at offset 50,000 on PostgreSQL against 0.5 ms with a keyset).

``?page_size=`` chooses 1 to 200 items (default 50). The cursor is opaque to
clients; one that does not decode, or names a position of the wrong type,
answers 400 problem details of type ``…/invalid-cursor`` instead of a 404 or
a server error.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class InvalidCursor(exceptions.APIException):
    status_code = 400
    default_detail = _("The page cursor is not valid. Start again from the first page.")
    default_code = "invalid_cursor"
    problem_type = "invalid-cursor"


class KeysetPagination(CursorPagination):
    """Cursor pagination over a unique, never-changing ordering.

    Views set ``cursor_ordering`` (e.g. ``"-seq"``); the default ``"-pk"``
    suits any model whose primary key grows with time.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"

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
