"""The API's JSON renderer: any aware date-time that reaches the encoder without
a serializer field (a value inside a dict, say) leaves in UTC with ``Z`` too,
so every date-time in every answer has one form (``api.serializers``)."""

from __future__ import annotations

import datetime as dt

from rest_framework import renderers
from rest_framework.utils import encoders


class UtcJSONEncoder(encoders.JSONEncoder):
    def default(self, obj):
        if isinstance(obj, dt.datetime) and obj.utcoffset() is not None:
            obj = obj.astimezone(dt.UTC)
        return super().default(obj)


class JSONRenderer(renderers.JSONRenderer):
    encoder_class = UtcJSONEncoder
