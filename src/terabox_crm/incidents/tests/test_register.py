"""The incident register's screens (S13): list, open, detail, edit and
timeline, for admins and privacy officers only, in Japanese and English."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.incidents.models import Incident, Status
from terabox_crm.incidents.tests.factories import open_incident
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

LIST = reverse("incidents:list")
CREATE = reverse("incidents:create")


def _form(**overrides) -> dict:
    values = {
        "title": "Laptop with exports stolen",
        "severity": "critical",
        "status": "open",
        "detected_at": "2026-12-01T09:30",
        "source": "account",
        "data_categories": ["identity", "contact"],
        "description": "A laptop was stolen from a car.",
        "appi_applies": "on",
        "gdpr_applies": "on",
        "preliminary_days": "3",
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("language", "words"),
    [("ja", ["インシデント", "新しいインシデント"]), ("en", ["Incidents", "New incident"])],
)
def test_admin_opens_an_incident_from_the_form(client, cast, language, words):
    login(client, cast.admin)
    page = client.get(LIST, secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert all(word in page.content.decode() for word in words)
    assert f'href="{LIST}" aria-current="page"' in page.content.decode()  # the Workspace menu
    response = client.post(CREATE, _form(), secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302
    with scopes_disabled():
        incident = Incident.objects.get(workspace=cast.acme)
    assert (incident.number, incident.severity, incident.status) == (1, "critical", "open")
    assert incident.data_categories == ["contact", "identity"]
    assert incident.owner == cast.admin
    detail = client.get(response["Location"], secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert detail.status_code == 200
    assert "Laptop with exports stolen" in detail.content.decode()
    assert AuditEvent.objects.filter(action="incidents.incident.created").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "language", "message"),
    [
        ("preliminary_days", "6", "en", "less than or equal to 5"),
        ("preliminary_days", "6", "ja", "5 以下"),
        ("title", "", "en", "This field is required."),
        ("window_end", "2026-11-01T00:00", "en", "The window must start before it ends."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(client, cast, field, value, language, message):
    login(client, cast.admin)
    values = _form(window_start="2026-11-20T00:00", **{field: value})
    response = client.post(CREATE, values, secure=True, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert message in response.content.decode()
    with scopes_disabled():
        assert not Incident.objects.exists()


def test_a_privacy_officer_may_a_manager_may_not(client, cast):
    incident = open_incident(cast.acme, cast.owner)
    detail = reverse("incidents:detail", args=[incident.pk])
    login(client, cast.manager)
    assert client.get(LIST, secure=True).status_code == 403
    assert client.get(detail, secure=True).status_code == 403
    assert client.post(CREATE, _form(), secure=True).status_code == 403
    membership = cast.manager_membership
    membership.is_privacy_officer = True
    membership.save(update_fields=["is_privacy_officer"])
    assert client.get(detail, secure=True).status_code == 200


def test_edit_and_timeline(client, cast):
    incident = open_incident(cast.acme, cast.owner)
    login(client, cast.admin)
    edit = reverse("incidents:edit", args=[incident.pk])
    assert client.get(edit, secure=True).status_code == 200
    response = client.post(
        edit,
        _form(
            title="Phished account, contained",
            status="contained",
            malicious="on",
            preliminary_days="5",
            preliminary_reported_at="2026-12-02T10:00",
            cause="A phishing email.",
        ),
        secure=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "Phished account, contained"
    assert (incident.status, incident.malicious, incident.preliminary_days) == (
        Status.CONTAINED,
        True,
        5,
    )
    assert incident.preliminary_reported_at is not None
    added = client.post(
        reverse("incidents:timeline_add", args=[incident.pk]),
        {"text": "Reset every admin's password."},
        secure=True,
    )
    assert added.status_code == 302
    with scopes_disabled(), translation.override("en"):
        texts = [entry.shown() for entry in incident.timeline.all()]
    assert "Reset every admin's password." in texts
    assert any("marked as submitted" in text for text in texts)
    page = client.get(reverse("incidents:detail", args=[incident.pk]), secure=True)
    assert "Reset every admin&#x27;s password." in page.content.decode()


def test_free_text_is_encrypted_at_rest(cast):
    from django.db import connection

    incident = open_incident(cast.acme, cast.owner, title="Yamada Hanako's file leaked")
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM incidents_incident WHERE id = %s", [incident.pk.hex])
        row = cursor.fetchone() or ()
        if not row:
            cursor.execute("SELECT title FROM incidents_incident")
            row = cursor.fetchone()
    assert "Yamada" not in str(row[0])


def test_the_list_does_not_grow_queries_with_incidents(client, cast, django_assert_max_num_queries):
    for number in range(3):
        open_incident(cast.acme, cast.owner, title=f"Incident {number}")
    login(client, cast.admin)
    with django_assert_max_num_queries(25) as few:
        client.get(LIST, secure=True)
    for number in range(10):
        open_incident(cast.acme, cast.owner, title=f"More {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LIST, secure=True).status_code == 200


@pytest.mark.parametrize(
    ("language", "listed"),
    [
        ("en", "Contact details (email, phone, address), Name and identity"),
        ("ja", "連絡先（メールアドレス、電話番号、住所）、氏名・本人を識別する情報"),
    ],
)
def test_the_categories_of_data_are_listed_in_the_readers_language(client, cast, language, listed):
    incident = open_incident(cast.acme, cast.owner, data_categories=["identity", "contact"])
    login(client, cast.owner)
    client.cookies["django_language"] = language
    html = client.get(
        reverse("incidents:detail", args=[incident.pk]), secure=True, HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert listed in html
    if language == "en":
        assert "、" not in html.split("Categories of data", 1)[1].split("</dd>", 1)[0]
