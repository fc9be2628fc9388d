"""URLs for the error-page tests: the real ones plus views that fail on purpose."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from terabox_crm.urls import handler400, handler403, handler404, handler500  # noqa: F401
from terabox_crm.urls import urlpatterns as project_urlpatterns

SECRET = "secret-detail-7f3a SELECT password FROM accounts_user"


def boom(request):
    raise RuntimeError(SECRET)


def denied(request):
    raise PermissionDenied(SECRET)


def suspicious(request):
    raise SuspiciousOperation(SECRET)


def broken_context_processor(request):
    raise RuntimeError(SECRET)


urlpatterns = [
    path("test-errors/boom/", boom),
    path("test-errors/denied/", denied),
    path("test-errors/bad/", suspicious),
    path("api/test-errors/boom/", boom),
    path("api/test-errors/denied/", denied),
    *project_urlpatterns,
]
