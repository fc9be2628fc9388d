"""Dates on the API: a date outside 1900–2200 is a 400 problem that changes
nothing, and every date-time leaves in UTC with ``Z`` (``api.serializers``)."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from terabox_crm.activities.models import Task
from terabox_crm.api.tests.conftest import UTC_FORM, bearer, date_times
from terabox_crm.deals.tests.factories import make_pipeline, stage_named
from terabox_crm.support.models import Ticket


@pytest.fixture
def api(client, cast, make_token):
    secret = make_token(cast.member, scopes="read,write")

    def call(method, url, data=None):
        return getattr(client, method)(
            url, data, content_type="application/json", secure=True, **bearer(secret)
        )

    return call


def test_a_task_due_in_the_year_1_is_refused_and_not_created(api):
    response = api("post", "/api/v1/tasks/", {"title": "x", "due_at": "0001-01-01T00:00:00Z"})
    assert response.status_code == 400
    assert "due_at" in response.json()["errors"]
    with scopes_disabled():
        assert not Task.objects.exists()


def test_a_reminder_in_the_year_391_is_refused_and_not_created(api):
    response = api(
        "post",
        "/api/v1/tasks/",
        {"title": "x", "due_at": "2026-05-01T00:00:00Z", "remind_at": "0391-06-27T13:23:09Z"},
    )
    assert response.status_code == 400
    assert "remind_at" in response.json()["errors"]
    with scopes_disabled():
        assert not Task.objects.exists()


def test_the_refusal_says_which_dates_are_accepted(api):
    response = api("post", "/api/v1/tasks/", {"title": "x", "due_at": "2201-01-01T00:00:00Z"})
    message = response.json()["errors"]["due_at"][0]
    assert "1900-01-01" in message and "2200-12-31" in message


def test_a_time_without_an_offset_is_refused(api):
    response = api("post", "/api/v1/tasks/", {"title": "x", "due_at": "2026-05-01T09:00:00"})
    assert response.status_code == 400
    assert "due_at" in response.json()["errors"]


def test_a_close_date_outside_the_window_is_refused(api, cast):
    lead = stage_named(make_pipeline(cast.acme, cast.owner), "Lead")
    response = api(
        "post",
        "/api/v1/deals/",
        {"name": "x", "stage": str(lead.pk), "expected_close_date": "1899-12-31"},
    )
    assert response.status_code == 400
    assert "expected_close_date" in response.json()["errors"]


def test_a_task_echoes_its_times_in_utc(api):
    response = api(
        "post",
        "/api/v1/tasks/",
        {
            "title": "x",
            "due_at": "2026-05-01T09:00:00+09:00",
            "remind_at": "2026-05-01T08:30:00+09:00",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["due_at"] == "2026-05-01T00:00:00Z"
    assert response.json()["remind_at"] == "2026-04-30T23:30:00Z"


def test_every_date_time_of_a_ticket_has_one_form(api):
    created = api("post", "/api/v1/tickets/", {"subject": "Help", "priority": "high"})
    assert created.status_code == 201, created.content
    replied = api("post", f"/api/v1/tickets/{created.json()['id']}/reply/", {"body": "Hi"})
    found = list(date_times(replied.json()))
    assert len(found) >= 5  # created, updated, both due times, responded, sla.due_at
    assert [value for value in found if not UTC_FORM.fullmatch(value)] == []
    with scopes_disabled():
        assert Ticket.objects.count() == 1
