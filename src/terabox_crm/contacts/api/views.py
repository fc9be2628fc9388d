"""``/api/v1/contacts/`` and ``/api/v1/companies/``: list (keyset cursor,
filters), retrieve, create, update, partial update and delete, through the
same policy actions, querysets and services as the web pages.

Another workspace's id, or a record the caller may not see, is a 404; a
record one may see but not edit is a 403. Filter ids are compared inside the
caller's visible records only, so a foreign id simply matches nothing; a
malformed filter value is a 400 problem.
"""

from __future__ import annotations

from dataclasses import fields, replace

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from terabox_crm import detection
from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.problems import refusal_as_api_error
from terabox_crm.api.query import QueryParamsMixin
from terabox_crm.contacts import search, selectors, services
from terabox_crm.contacts.api.serializers import (
    SUPPRESSED_ADDRESS,
    CompanyIn,
    CompanyListParams,
    CompanyOut,
    ContactCreatedOut,
    ContactIn,
    ContactListParams,
    ContactMergeIn,
    ContactOut,
    TagIn,
    TagOut,
)
from terabox_crm.contacts.models import Company, Contact, Tag
from terabox_crm.refusals import Refusal


def _call(service, **kwargs):
    """Run a service; its refusals become problem details (nothing changed)."""
    try:
        return service(**kwargs)
    except Refusal as exc:
        raise refusal_as_api_error(exc) from None
    except DjangoValidationError as exc:
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        raise exceptions.ValidationError(detail) from None


class _RecordViewSet(
    QueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [PolicyPermission]
    pagination_class = KeysetPagination
    lookup_value_regex = "[0-9a-f-]{36}"

    @property
    def cursor_ordering(self):
        """``?sort=`` one of -created_at (default), created_at, -updated_at, updated_at."""
        sort = self.params.get("sort", "-created_at")
        return (sort, "id" if not sort.startswith("-") else "-id")

    def _data(self, request, instance=None, partial=False):
        serializer = self.input_class(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        base = self.data_class() if instance is None else self.data_of(instance)
        values = dict(serializer.validated_data)
        if "emails" in values:
            values["emails"] = [services.EmailIn(**row) for row in values["emails"]]
        if "phones" in values:
            values["phones"] = [services.PhoneIn(**row) for row in values["phones"]]
        names = {f.name for f in fields(self.data_class)}
        return replace(base, **{k: v for k, v in values.items() if k in names})

    def create(self, request, *args, **kwargs):
        data = self._data(request)
        obj = _call(self.create_service, membership=request.membership, data=data)
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        data = self._data(request, instance, partial=kwargs.get("partial", False))
        _call(
            self.update_service, membership=request.membership, data=data, **{self.kind: instance}
        )
        obj = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(obj).data)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        _call(self.delete_service, membership=request.membership, **{self.kind: instance})
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContactViewSet(_RecordViewSet):
    """Contacts of the current workspace that the caller may see. Emails and phone
    numbers are normalised (lower-case emails, E.164 phones); writes are audited."""

    _actions = {
        "GET": "contacts.view",
        "POST": "contacts.add",
        "PUT": "contacts.change",
        "PATCH": "contacts.change",
        "DELETE": "contacts.delete",
    }

    @property
    def permission_action(self):
        # Merging asks for contacts.merge on both contacts, not contacts.add.
        if getattr(self, "action", None) == "merge":
            return {"POST": "contacts.merge"}
        return self._actions

    serializer_class = ContactOut
    input_class = ContactIn
    request_serializers = {
        "create": ContactIn,
        "update": ContactIn,
        "partial_update": ContactIn,
        "merge": ContactMergeIn,
    }
    list_params = ContactListParams
    data_class = services.ContactData
    data_of = staticmethod(services.contact_data_of)
    create_service = staticmethod(services.contact_create)
    update_service = staticmethod(services.contact_update)
    delete_service = staticmethod(services.contact_delete)
    kind = "contact"
    lookup_url_kwarg = "contact_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Contact.objects.none()
        return selectors.contacts_for_list(self.request.membership)

    def list(self, request, *args, **kwargs):
        try:
            filters = selectors.ContactFilters.from_params(self.params, strict=True)
        except selectors.BadFilter as exc:
            raise exceptions.ValidationError(
                {str(exc): [_("This filter value is not valid.")]}
            ) from None
        queryset, checks = selectors.filter_contacts(
            self.get_queryset(), request.membership, filters
        )
        selectors.preload_keys(request.membership.workspace_id)
        page = self.paginate_queryset(queryset)
        rows = [r for r in page if all(selectors._contact_matches(r, k, v) for k, v in checks)]
        detection.count_reads(request.membership, len(rows))  # S7: mass reads
        out = self.get_serializer_class()
        context = self.get_serializer_context()
        if hasattr(out, "context_for"):  # contacts: whether each is restricted (P7)
            context.update(out.context_for(rows))
        return self.get_paginated_response(out(rows, many=True, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        detection.count_reads(request.membership, 1)  # S7: mass reads
        return response

    @extend_schema(
        request=ContactIn,
        responses={201: ContactCreatedOut},
        summary="Create a contact",
        description="The 201 body is the contact with `warnings`: `suppressed-address` "
        "when an email or phone number belonged to a person erased at their request "
        "(the suppression list); the contact is created all the same and the match "
        "is audited.",
    )
    def create(self, request, *args, **kwargs):
        """Create a contact; warn of an erased person's address (P8)."""
        data = self._data(request)
        created = _call(services.contact_create, membership=request.membership, data=data)
        suppressed = list(getattr(created, "suppressed", None) or [])
        warnings = []
        if suppressed:
            warnings.append(
                {
                    "code": SUPPRESSED_ADDRESS,
                    "detail": _(
                        "%(values)s belonged to a person erased at their request. "
                        "Check that they want to be contacted again before you use it; "
                        "this was recorded in the audit log."
                    )
                    % {"values": ", ".join(suppressed)},
                    "values": suppressed,
                }
            )
        contact = self.get_queryset().get(pk=created.pk)
        out = ContactCreatedOut(
            contact, context={**self.get_serializer_context(), "warnings": warnings}
        )
        return Response(out.data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ContactOut(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def duplicates(self, request, *args, **kwargs):
        """List possible duplicates of a contact

        Contacts the caller may see that share an email or phone number with this
        one, or its name at the same company: at most 10, as a plain array."""
        contact = self.get_object()
        rows = selectors.duplicates_of(request.membership, contact)
        rows = list(rows)
        return Response(ContactOut(rows, many=True, context=ContactOut.context_for(rows)).data)

    @action(detail=True, methods=["post"])
    def merge(self, request, *args, **kwargs):
        """Merge another contact into this one

        The contact named by ``merge_away`` is merged into this one and deleted;
        both sides are audited."""
        keep = self.get_object()
        serializer = ContactMergeIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        other_id = serializer.validated_data["merge_away"]
        other = self.get_queryset().filter(pk=other_id).first()
        if other is not None:
            self.check_object_permissions(request, other)
        # A contact the caller may not read is the service's to refuse, like
        # one that does not exist (and to record).
        _call(
            services.contact_merge,
            membership=request.membership,
            keep=keep,
            merge_away=other or other_id,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=keep.pk)).data)


class CompanyViewSet(_RecordViewSet):
    """Companies of the current workspace that the caller may see."""

    permission_action = {
        "GET": "companies.view",
        "POST": "companies.add",
        "PUT": "companies.change",
        "PATCH": "companies.change",
        "DELETE": "companies.delete",
    }
    serializer_class = CompanyOut
    input_class = CompanyIn
    request_serializers = {"create": CompanyIn, "update": CompanyIn, "partial_update": CompanyIn}
    list_params = CompanyListParams
    data_class = services.CompanyData
    data_of = staticmethod(services.company_data_of)
    create_service = staticmethod(services.company_create)
    update_service = staticmethod(services.company_update)
    delete_service = staticmethod(services.company_delete)
    kind = "company"
    lookup_url_kwarg = "company_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Company.objects.none()
        return selectors.companies_for_list(self.request.membership)

    def list(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        for name, lookup in (("owner", "owner_id"), ("tag", "tags__id")):
            if name in self.params:
                queryset = queryset.filter(**{lookup: self.params[name]})
        parts = search.company_query(self.params.get("q", ""))
        if parts:
            queryset = search.matching_parts(
                queryset, request.membership.workspace_id, search.COMPANY_NAME, parts
            )
        selectors.preload_keys(request.membership.workspace_id)
        page = self.paginate_queryset(queryset)
        rows = [r for r in page if not parts or search.company_has_parts(r, parts)]
        out = self.get_serializer_class()
        context = self.get_serializer_context()
        if hasattr(out, "context_for"):  # contacts: whether each is restricted (P7)
            context.update(out.context_for(rows))
        return self.get_paginated_response(out(rows, many=True, context=context).data)


class TagViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The workspace's tags (names only, never personal), for the ``tag`` filter
    and ``tag_ids``. Creating an existing name returns that tag."""

    permission_classes = [PolicyPermission]
    permission_action = {"GET": "contacts.view", "POST": "contacts.add"}
    pagination_class = KeysetPagination
    cursor_ordering = "name"
    serializer_class = TagOut
    request_serializers = {"create": TagIn}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Tag.objects.none()
        return Tag.objects.filter(workspace_id=self.request.membership.workspace_id)

    def create(self, request, *args, **kwargs):
        serializer = TagIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = _call(
            services.tag_get_or_create,
            membership=request.membership,
            name=serializer.validated_data["name"],
        )
        return Response(TagOut(tag).data, status=status.HTTP_201_CREATED)
