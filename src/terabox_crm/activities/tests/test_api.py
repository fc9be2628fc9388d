from django.utils import timezone

from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.testing.auth import login


def test_log_and_list_an_activity_on_a_deal(client, cast):
    deal = make_deal(cast.acme, cast.member, make_pipeline(cast.acme, cast.owner))
    login(client, cast.member)
    created = client.post(
        "/api/v1/activities/",
        {
            "kind": "call",
            "subject": "Follow-up",
            "occurred_at": timezone.now().isoformat(),
            "deal": str(deal.pk),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    listing = client.get("/api/v1/activities/", {"deal": str(deal.pk)}).json()
    assert [item["subject"] for item in listing["results"]] == ["Follow-up"]


def test_a_foreign_record_is_refused_as_a_link(client, cast):
    foreign = make_deal(cast.globex, cast.outsider, make_pipeline(cast.globex, cast.outsider))
    login(client, cast.owner)
    response = client.post(
        "/api/v1/activities/",
        {
            "kind": "note",
            "subject": "x",
            "occurred_at": timezone.now().isoformat(),
            "deal": str(foreign.pk),
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_create_and_complete_a_task(client, cast):
    login(client, cast.member)
    created = client.post(
        "/api/v1/tasks/",
        {"title": "Call back", "due_at": timezone.now().isoformat()},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    done = client.post(f"/api/v1/tasks/{task_id}/complete/")
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert client.get("/api/v1/tasks/", {"status": "open"}).json()["results"] == []


def test_viewers_cannot_create_tasks_through_the_api(client, cast):
    login(client, cast.viewer)
    response = client.post(
        "/api/v1/tasks/",
        {"title": "x", "due_at": timezone.now().isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_deleting_an_activity_one_may_only_read_is_refused_with_the_services_message(client, cast):
    from django.utils import translation
    from django_scopes import scope

    from terabox_crm.activities.models import Activity

    with scope(workspace=cast.acme):
        activity = Activity.objects.create(
            workspace=cast.acme,
            subject="Owner's call",
            occurred_at=timezone.now(),
            owner=cast.owner,
        )
    login(client, cast.member)
    response = client.delete(f"/api/v1/activities/{activity.pk}/")
    assert response.status_code == 403
    with translation.override(response["Content-Language"]):
        assert response.json()["title"] == translation.gettext("You cannot delete this activity.")
    with scope(workspace=cast.acme):
        assert Activity.objects.filter(pk=activity.pk).exists()
