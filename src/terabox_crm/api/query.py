"""Query parameters of API lists, declared once for the schema and the check.

A list view names a serializer of its filters in ``list_params``;
``api.schema.AutoSchema`` documents its fields as the operation's query
parameters (choices become enums, ids ``format: uuid``), and
``QueryParamsMixin`` validates the request's parameters with the same
serializer before the view runs, so a value the schema does not admit is a
400 problem — never ignored, never a silent fallback. Views read the
validated values from ``self.params``. Parameters the list does not declare
(``cursor`` and ``page_size`` belong to the pagination) are not its business.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.fields import empty

from terabox_crm.api import serializers


class QueryBooleanField(serializers.BooleanField):
    """``true``/``false`` (or ``1``/``0``) in a query string."""

    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_internal_value(self, data):
        if isinstance(data, str) and data in self._VALUES:
            return self._VALUES[data]
        self.fail("invalid", input=data)


class QueryParamsMixin:
    """Validate ``list_params`` before a list runs; the values land in ``self.params``."""

    list_params: type[serializers.Serializer] | None = None
    params: dict = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.params = {}
        declared = self.list_params if getattr(self, "action", None) == "list" else None
        if declared is None:
            return
        given = {name: request.query_params.get(name) for name in declared().fields}
        checked = declared(data={k: v for k, v in given.items() if v is not None})
        if not checked.is_valid():
            raise exceptions.ValidationError(checked.errors)
        self.params = {k: v for k, v in checked.validated_data.items() if v is not empty}
