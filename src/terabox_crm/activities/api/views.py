"""``/api/v1/activities/`` and ``/api/v1/tasks/``: the same services and
selectors as the screens. List filters are declared in ``ActivityListParams``
and ``TaskListParams`` (``api.query``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from terabox_crm.activities import services
from terabox_crm.activities.api.serializers import (
    ActivityIn,
    ActivityListParams,
    ActivityOut,
    TaskIn,
    TaskListParams,
    TaskOut,
)
from terabox_crm.activities.models import Activity, Task
from terabox_crm.api.pagination import KeysetPagination
from terabox_crm.api.permissions import PolicyPermission
from terabox_crm.api.query import QueryParamsMixin

LINKS = {"contact": "contacts.Contact", "company": "contacts.Company", "deal": "deals.Deal"}


def _links(values: dict) -> services.Links:
    """The linked ids as sent: the service checks the caller may read each."""
    return services.Links(**{name: values.get(name) for name in LINKS})


def _filter_links(queryset, params: dict):
    for name in LINKS:
        if name in params:
            queryset = queryset.filter(**{f"{name}_id": params[name]})
    return queryset


class ActivityViewSet(
    QueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Calls, meetings, emails and notes the caller may read, latest first; each
    may be linked to a contact, a company and a deal the caller may read."""

    lookup_url_kwarg = "activity_id"
    permission_classes = [PolicyPermission]
    permission_action = {
        "GET": "activities.view",
        "POST": "activities.add",
        "DELETE": "activities.change",
    }
    object_refusals = {"activities.change": _("You cannot delete this activity.")}
    pagination_class = KeysetPagination
    cursor_ordering = "-occurred_at"
    serializer_class = ActivityOut
    request_serializers = {"create": ActivityIn}
    list_params = ActivityListParams

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()
        return _filter_links(Activity.objects.visible_to(self.request.membership), self.params)

    def create(self, request, *args, **kwargs):
        incoming = ActivityIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        activity = services.activity_log(
            membership=request.membership,
            data=services.ActivityData(
                kind=values["kind"],
                occurred_at=values["occurred_at"],
                subject=values.get("subject", ""),
                body=values.get("body", ""),
                duration_minutes=values.get("duration_minutes"),
                links=_links(values),
            ),
        )
        return Response(ActivityOut(activity).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.activity_delete(membership=request.membership, activity=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskViewSet(
    QueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Tasks the caller may read, soonest due first. ``remind_at``, when set,
    sends the assignee a notification at that time."""

    lookup_url_kwarg = "task_id"
    permission_classes = [PolicyPermission]
    permission_action = {"GET": "activities.view", "POST": "activities.add"}
    pagination_class = KeysetPagination
    cursor_ordering = "due_at"
    serializer_class = TaskOut
    request_serializers = {"create": TaskIn}  # complete takes no body
    list_params = TaskListParams

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        params = self.params
        queryset = _filter_links(Task.objects.visible_to(self.request.membership), params)
        if "status" in params:
            queryset = queryset.filter(status=params["status"])
        if params.get("mine"):
            queryset = queryset.filter(assignee_id=self.request.user.pk)
        return queryset

    def create(self, request, *args, **kwargs):
        incoming = TaskIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        # Any other id is the service's to refuse, among this workspace's members.
        assignee = values.get("assignee") or request.user
        task = services.task_create(
            membership=request.membership,
            data=services.TaskData(
                title=values["title"],
                notes=values.get("notes", ""),
                due_at=values["due_at"],
                remind_at=values.get("remind_at"),
                assignee=assignee,
                links=_links(values),
            ),
        )
        return Response(TaskOut(task).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], permission_action={"POST": "activities.view"})
    def complete(self, request, task_id=None):
        """Mark a task done

        Its assignee may, and whoever may edit it; the completion is audited."""
        task = services.task_set_done(
            membership=request.membership, task=self.get_object(), done=True
        )
        return Response(TaskOut(task).data)
