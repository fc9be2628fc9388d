"""An erased person is a state, not a mistake in the request (P8): the API
answers acting on them with 409 and the reason, in the caller's language,
and changes nothing."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from terabox_crm.erasure import services
from terabox_crm.erasure.tests import world
from terabox_crm.privacy.models import ConsentEvent
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "words"), [("en", "erased"), ("ja", "消去")])
def test_a_consent_for_an_erased_person_is_a_conflict(client, cast, language, words):
    person = world.make_person(cast)
    with scope(workspace=cast.acme):
        services.subject_erase(membership=person.officer, subject_id=person.contact.pk, reason="x")
    with scopes_disabled():
        before = ConsentEvent.objects.count()
    login(client, cast.member)
    response = client.post(
        "/api/v1/consents/",
        {"contact": str(person.contact.pk), "purpose": "communication", "kind": "grant"},
        content_type="application/json",
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 409, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/problems/subject-erased")
    assert words in problem["title"], problem
    with scopes_disabled():
        assert ConsentEvent.objects.count() == before
