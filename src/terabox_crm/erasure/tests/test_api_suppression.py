"""An API create of an erased person's address (the suppression list, P8):
the contact is created, the 201 body carries a ``suppressed-address``
warning, the match is audited, and the schema documents the warning."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.models import Contact
from terabox_crm.erasure import services
from terabox_crm.erasure.tests import world
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def _create(client, body, language="en"):
    return client.post(
        URL, body, content_type="application/json", secure=True, HTTP_ACCEPT_LANGUAGE=language
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "belonged to a person erased at their request"), ("ja", "本人の請求により消去された")],
)
def test_the_api_create_warns_of_an_erased_address(client, cast, language, words):
    person = world.make_person(cast)
    with scope(workspace=cast.acme):
        services.subject_erase(membership=person.officer, subject_id=person.contact.pk, reason="x")
    login(client, cast.member)
    response = _create(
        client,
        {
            "family_name": "Back",
            "emails": [{"value": world.EMAIL.upper()}, {"value": "fresh@example.org"}],
            "phones": [{"value": world.PHONE}],
        },
        language,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    [warning] = body["warnings"]
    assert warning["code"] == "suppressed-address"
    assert sorted(warning["values"]) == sorted([world.EMAIL, world.PHONE_E164])
    assert words in warning["detail"]
    with scopes_disabled():
        assert Contact.objects.filter(pk=body["id"]).exists()
        event = AuditEvent.objects.get(action="privacy.suppression.matched")
        assert event.object_id == body["id"]
        assert event.payload == {"emails": 1, "phones": 1}


def test_an_ordinary_api_create_has_no_warnings(client, cast):
    person = world.make_person(cast)
    with scope(workspace=cast.acme):
        services.subject_erase(membership=person.officer, subject_id=person.contact.pk, reason="x")
    login(client, cast.member)
    response = _create(client, {"family_name": "New", "emails": [{"value": "new@example.org"}]})
    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == []
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="privacy.suppression.matched").exists()


def test_the_schema_documents_the_warning(client, cast):
    login(client, cast.admin)
    schema = client.get(
        "/api/schema/", secure=True, HTTP_ACCEPT="application/vnd.oai.openapi+json"
    ).json()

    def resolve(node):
        while "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    create = schema["paths"][URL]["post"]
    assert "suppressed-address" in create["description"]
    body = resolve(create["responses"]["201"]["content"]["application/json"]["schema"])
    item = resolve(body["properties"]["warnings"]["items"])
    code = item["properties"]["code"]
    assert resolve(code.get("allOf", [code])[0])["enum"] == ["suppressed-address"]
    erase = schema["paths"]["/api/v1/contacts/{contact_id}/erase/"]["post"]
    assert "`privacy` scope" in erase["description"]
