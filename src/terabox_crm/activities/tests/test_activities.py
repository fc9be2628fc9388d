from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from terabox_crm.activities import services
from terabox_crm.activities.models import Activity
from terabox_crm.core.selectors import membership_in
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login


@pytest.fixture
def deal(cast):
    pipeline = make_pipeline(cast.acme, cast.owner)
    return make_deal(cast.acme, cast.member, pipeline, name="Renewal")


def log(cast, user, **links):
    with scope(workspace=cast.acme):
        return services.activity_log(
            membership=membership_in(cast.acme, user),
            data=services.ActivityData(
                kind="call",
                occurred_at=timezone.now(),
                subject="Called about the renewal",
                body="山田様: 来月から50席",
                links=services.Links(**links),
            ),
        )


def test_a_call_logged_on_a_deal_shows_on_its_timeline(client, cast, deal):
    log(cast, cast.member, deal=deal)
    login(client, cast.viewer)
    page = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert "Called about the renewal" in page
    assert "山田様: 来月から50席" in page


def test_the_activity_text_is_encrypted_and_its_audit_event_names_no_text(cast, deal):
    from django.db import connection

    from terabox_crm.audit.models import AuditEvent

    activity = log(cast, cast.member, deal=deal)
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject, body FROM activities_activity")
        subject, body = cursor.fetchone()
    assert "renewal" not in subject and "山田" not in body
    event = AuditEvent.objects.get(action="activities.activity.logged", object_id=str(activity.pk))
    assert event.payload == {"kind": "call"}


def test_an_activity_must_be_linked_to_something(cast):
    with pytest.raises(Refusal) as refused:
        log(cast, cast.member)
    assert refused.value.code == "unlinked"


def test_a_record_of_another_workspace_cannot_be_linked(cast):
    pipeline = make_pipeline(cast.globex, cast.outsider, name="Foreign")
    foreign = make_deal(cast.globex, cast.outsider, pipeline, name="Foreign deal")
    with pytest.raises(Refusal) as refused:
        log(cast, cast.member, deal=foreign)
    assert refused.value.status == 404
    with scope(workspace=cast.acme):
        assert not Activity.objects.exists()


def test_an_oversized_body_is_refused(cast, deal):
    with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
        services.activity_log(
            membership=cast.member_membership,
            data=services.ActivityData(
                kind="note",
                occurred_at=timezone.now(),
                body="x" * 20_001,
                links=services.Links(deal=deal),
            ),
        )
    assert refused.value.code == "too_long"


def test_viewers_cannot_log_activities(cast, deal):
    with pytest.raises(Refusal) as refused:
        log(cast, cast.viewer, deal=deal)
    assert refused.value.status == 403


def test_the_log_form_links_the_activity_and_returns_to_the_deal(client, cast, deal):
    login(client, cast.member)
    url = reverse("activities:activity_create")
    assert client.get(url, {"deal": str(deal.pk)}).status_code == 200
    response = client.post(
        url,
        {
            "deal": str(deal.pk),
            "kind": "meeting",
            "subject": "Kick-off",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "30",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/deals/{deal.pk}/"


def test_the_log_form_refuses_another_workspaces_record(client, cast):
    pipeline = make_pipeline(cast.globex, cast.outsider, name="Foreign")
    foreign = make_deal(cast.globex, cast.outsider, pipeline, name="Foreign deal")
    login(client, cast.owner)
    response = client.get(reverse("activities:activity_create"), {"deal": str(foreign.pk)})
    assert response.status_code == 404


def test_timeline_has_a_fixed_query_count(client, cast, deal, django_assert_max_num_queries):
    for index in range(25):
        with scope(workspace=cast.acme):
            services.activity_log(
                membership=cast.member_membership,
                data=services.ActivityData(
                    kind="note",
                    occurred_at=timezone.now() - timedelta(minutes=index),
                    subject=f"Note {index}",
                    links=services.Links(deal=deal),
                ),
            )
    login(client, cast.member)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("deals:detail", args=[deal.pk])).status_code == 200


def test_the_author_deletes_an_activity_from_the_timeline_but_a_viewer_sees_no_button(
    client, cast, deal
):
    activity = log(cast, cast.member, deal=deal)
    login(client, cast.viewer)
    page = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert reverse("activities:activity_delete", args=[activity.pk]) not in page
    login(client, cast.member)
    page = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert reverse("activities:activity_delete", args=[activity.pk]) in page
    response = client.post(
        reverse("activities:activity_delete", args=[activity.pk]), {"next": f"/deals/{deal.pk}/"}
    )
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        assert not Activity.objects.filter(pk=activity.pk).exists()
