"""The benchmark's URLs: the product's, plus a bare DRF list of the same
contact rows with no authentication, no scoping and no decryption — the
floor every product figure is compared with (issue 3 performance bullet)."""

from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination

from terabox_crm.contacts.models import Contact


class _BareContactOut(serializers.Serializer):
    # The stored columns as they are: ciphertext, never decrypted.
    id = serializers.UUIDField()
    family_name = serializers.SerializerMethodField()
    given_name = serializers.SerializerMethodField()
    stage = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_family_name(self, contact) -> str:
        return str(contact.__dict__["family_name"])

    def get_given_name(self, contact) -> str:
        return str(contact.__dict__["given_name"])


class _Pagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


class BareContactList(generics.ListAPIView):
    authentication_classes = []
    permission_classes = []
    serializer_class = _BareContactOut
    pagination_class = _Pagination

    def get_queryset(self):
        return Contact.objects.with_scopes_disabled().all()


urlpatterns = [
    path("bench/bare-contacts/", BareContactList.as_view()),
    path("", include("terabox_crm.urls")),
]
