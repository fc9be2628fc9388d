"""A URL configuration with deliberately broken views, to prove that the
cross-workspace helper catches what it exists to catch."""

from django.http import HttpResponse
from django.urls import include, path
from django_scopes import scopes_disabled

from terabox_crm.core.models import Membership


def leaky_member(request, membership_id):
    # The mistake the helper must catch: an unscoped fetch that shows a foreign object.
    with scopes_disabled():
        membership = Membership.objects.select_related("user").get(pk=membership_id)
    return HttpResponse(f"member {membership.user.email}")


def thing(request, thing_id):
    return HttpResponse("a thing")


urlpatterns = [
    path("accounts/", include("terabox_crm.accounts.urls")),
    path("leaky/<uuid:membership_id>/", leaky_member, name="leaky_member"),
    path("things/<int:thing_id>/", thing, name="thing"),
]
