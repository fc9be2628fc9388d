"""Erasure over the API with a personal token (P8, S4): a token cannot step
up, so it needs the ``privacy`` scope, which only a privacy officer can put
on a token, on the API tokens page right after a step-up. A ``write`` token
never erases."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.api import services as api_services
from terabox_crm.api.models import ApiToken
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.models import Contact
from terabox_crm.contacts.tests.support import member_of
from terabox_crm.erasure.models import Tombstone
from terabox_crm.erasure.tests import world
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

CREATE = reverse("api_tokens:create")


def _erase(client, person, secret, language="en"):
    return client.post(
        reverse("api:contact-erase", args=[person.contact.pk]),
        {"reason": "DSR 12"},
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def _token(membership, scopes, *, stepped_up=True):
    with scope(workspace=membership.workspace):
        return api_services.token_create(
            membership=membership, name="t", scopes=scopes, days=1, stepped_up=stepped_up
        ).secret


@pytest.mark.parametrize(
    ("language", "words"), [("en", "“privacy” scope"), ("ja", "「privacy」スコープ")]
)
def test_a_write_token_of_a_privacy_officer_cannot_erase(client, cast, language, words):
    person = world.make_person(cast)
    secret = _token(person.officer, "read,write,export", stepped_up=False)
    response = _erase(client, person, secret, language)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/insufficient-scope")
    assert words in body["title"]
    with scopes_disabled():
        assert Contact.objects.filter(pk=person.contact.pk).exists()
        assert not Tombstone.objects.exists()
        assert AuditEvent.objects.filter(action="security.permission.denied").exists()


def test_a_privacy_token_erases(client, cast):
    person = world.make_person(cast)
    secret = _token(person.officer, "privacy")
    response = _erase(client, person, secret)
    assert response.status_code == 200, response.content
    assert response.json()["subject_id"] == str(person.contact.pk)
    with scopes_disabled():
        assert not Contact.objects.filter(pk=person.contact.pk).exists()
        assert Tombstone.objects.filter(subject_id=person.contact.pk).exists()


def test_a_privacy_token_still_needs_the_capability(client, cast):
    """The scope never grants more than the owner's role: an officer who loses
    the capability keeps a token that no longer erases."""
    person = world.make_person(cast)
    secret = _token(person.officer, "privacy")
    with scopes_disabled():
        cast.admin_membership.is_privacy_officer = False
        cast.admin_membership.save(update_fields=["is_privacy_officer"])
    response = _erase(client, person, secret)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/forbidden")
    with scopes_disabled():
        assert Contact.objects.filter(pk=person.contact.pk).exists()


def test_only_a_privacy_officer_may_mint_the_scope(cast):
    world.make_person(cast)
    owner = member_of(cast.acme, cast.owner)  # the owner, but not a privacy officer
    with pytest.raises(ValidationError) as refused:
        _token(owner, "read,privacy")
    assert refused.value.error_list[0].code == "privacy_scope_denied"
    with scopes_disabled():
        assert not ApiToken.objects.exists()


def test_minting_the_scope_needs_a_fresh_step_up(cast):
    person = world.make_person(cast)
    with pytest.raises(ValidationError) as refused:
        _token(person.officer, "privacy", stepped_up=False)
    assert refused.value.error_list[0].code == "privacy_scope_needs_step_up"
    with scopes_disabled():
        assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Only a privacy officer"), ("ja", "個人情報保護責任者だけ")],
)
def test_the_tokens_page_refuses_the_scope_to_others(client, cast, language, words):
    login(client, cast.owner, step_up=True)
    response = client.post(
        CREATE,
        {"name": "Eraser", "scopes": ["privacy"], "days": "7"},
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert words in response.content.decode()
    with scopes_disabled():
        assert not ApiToken.objects.exists()


def test_the_tokens_page_mints_it_for_an_officer_after_step_up(client, cast):
    person = world.make_person(cast)
    login(client, cast.admin, step_up=True)
    response = client.post(
        CREATE,
        {"name": "Eraser", "scopes": ["privacy"], "days": "7"},
        secure=True,
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 200
    page = response.content.decode()
    secret = re.search(r'id="new-token">(tbx_[A-Za-z0-9]+)<', page).group(1)
    with scopes_disabled():
        assert ApiToken.objects.get().scopes == ["privacy"]
    client.logout()
    assert _erase(client, person, secret).status_code == 200
