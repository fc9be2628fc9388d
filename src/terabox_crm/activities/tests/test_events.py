"""Activities and tasks publish their domain events (activities/events.py)
from the services, after commit only."""

from __future__ import annotations

import pytest
from django_scopes import scope

from terabox_crm.activities import services
from terabox_crm.activities.tests.test_activities import log
from terabox_crm.activities.tests.test_tasks import make_task
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.refusals import Refusal


@pytest.fixture
def contact(cast):
    return make_contact(member_of(cast.acme, cast.member))


def test_logging_and_deleting_an_activity_publish(
    cast, contact, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        activity = log(cast, cast.member, contact=contact)
    activity_id = str(activity.pk)
    with django_capture_on_commit_callbacks(execute=True), scope(workspace=cast.acme):
        services.activity_delete(membership=cast.member_membership, activity=activity)
    assert published[-2:] == [("activity.created", activity_id), ("activity.deleted", activity_id)]


def test_creating_completing_and_reopening_a_task_publish(
    cast, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        task = make_task(cast)
    with django_capture_on_commit_callbacks(execute=True), scope(workspace=cast.acme):
        services.task_set_done(membership=cast.member_membership, task=task)
        services.task_set_done(membership=cast.member_membership, task=task, done=False)
    task_id = str(task.pk)
    assert published == [
        ("task.created", task_id),
        ("task.completed", task_id),
        ("task.reopened", task_id),
    ]


def test_a_refused_write_publishes_nothing(
    cast, contact, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Refusal):
            log(cast, cast.viewer, contact=contact)
        with pytest.raises(Refusal):
            log(cast, cast.member)  # linked to nothing: refused after the permission check
    assert published == []
