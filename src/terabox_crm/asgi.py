import os

from django.conf import settings

from terabox_crm.core.streaming import get_asgi_application
from terabox_crm.ops import bootstrap, heap
from terabox_crm.ops.bodylimit import BodySizeLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terabox_crm.settings")
bootstrap.leave_out_unused_clients()  # before the apps load (ops/bootstrap.py)
# Streamed responses get an async iterator (core/streaming.py).
# No body beyond MAX_REQUEST_BODY_BYTES is read, chunked or not (ops/bodylimit.py).
application = BodySizeLimit(get_asgi_application(), lambda: settings.MAX_REQUEST_BODY_BYTES)
# The application is loaded: freeze it out of the collector's full passes (ops/heap.py).
heap.settle()
