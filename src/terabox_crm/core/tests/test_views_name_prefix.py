"""The prefix-search option on the workspace settings page: owners only,
step-up to turn it on, audited, and the job started on commit."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from terabox_crm.contacts import search
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.core import workspaces
from terabox_crm.core.models import Workspace
from terabox_crm.core.tests.support import core_state, ended, events
from terabox_crm.crypto import search_index
from terabox_crm.crypto.models import SearchTerm
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login

SETTINGS = reverse("core:settings")
ON = {"name": "Acme", "mfa_required_for_all": "on", "name_prefix_search": "on"}
OFF = {"name": "Acme", "mfa_required_for_all": "on"}


def prefix_terms(workspace) -> int:
    return SearchTerm.objects.filter(
        workspace_id=workspace.pk, domain__in=search_index.prefix_domains(search.CONTACT_NAME)
    ).count()


def checkbox(page: str) -> str:
    [tag] = re.findall(r'<input[^>]*name="name_prefix_search"[^>]*>', page)
    return tag


def acme():
    return Workspace.objects.get(name="Acme")


def test_the_option_is_shown_off_in_both_languages(client, cast):
    login(client, cast.owner)
    english = client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Find names by their first letters as you type (prefix search)" in english
    assert "checked" not in checkbox(english)
    japanese = client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "入力中に名前を先頭の文字で探す（前方一致検索）" in japanese


def test_turning_it_on_needs_step_up(client, cast):
    login(client, cast.owner, step_up=False)
    response = client.post(SETTINGS, ON)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))
    assert acme().name_prefix_search is False
    assert events("core.workspace.settings_changed") == []


def test_turning_it_on_after_step_up_builds_terms_and_is_audited(
    client, cast, django_capture_on_commit_callbacks
):
    make_contact(member_of(cast.acme, cast.owner))
    login(client, cast.owner, step_up=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SETTINGS, ON)
    assert response.status_code == 302
    workspace = acme()
    assert workspace.name_prefix_search is True
    assert workspace.name_prefix_changed_at is not None
    assert prefix_terms(workspace) > 0
    [event] = events("core.workspace.settings_changed")
    assert event.actor_id == cast.owner.pk
    assert event.payload["changed"] == ["name_prefix_search"]
    assert event.payload["name_prefix_search"] == {"before": False, "after": True}
    assert len(events("crypto.search.prefixes_built")) == 1
    page = client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "checked" in checkbox(page)


def test_turning_it_off_needs_no_step_up_and_deletes_terms(
    client, cast, django_capture_on_commit_callbacks
):
    make_contact(member_of(cast.acme, cast.owner))
    login(client, cast.owner, step_up=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SETTINGS, ON)
    assert prefix_terms(acme()) > 0
    login(client, cast.owner, step_up=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SETTINGS, OFF)
    assert response.status_code == 302
    assert acme().name_prefix_search is False
    assert prefix_terms(acme()) == 0
    off = events("core.workspace.settings_changed")[-1]
    assert off.payload["name_prefix_search"] == {"before": True, "after": False}


def test_the_page_says_while_the_job_runs(client, cast):
    Workspace.objects.filter(pk=cast.acme.pk).update(
        name_prefix_search=True, name_prefix_progress={"done": False, "rows": 1200}
    )
    login(client, cast.owner)
    assert "Building the prefix terms: 1200 records done so far." in client.get(
        SETTINGS, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode("utf-8")
    assert "1200件" in client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="ja").content.decode()


@pytest.mark.parametrize("role", ["admin", "manager", "member", "viewer"])
def test_only_owners_change_it(client, cast, role):
    login(client, getattr(cast, role), step_up=True)
    before = core_state()
    assert client.post(SETTINGS, ON).status_code == 403
    assert core_state() == before


def test_the_service_refuses_an_admin_and_records_it(cast):
    with pytest.raises(Refusal):
        workspaces.workspace_update_settings(
            membership=cast.admin_membership,
            name="Acme",
            mfa_required_for_all=True,
            name_prefix_search=True,
        )
    assert acme().name_prefix_search is False
    [refusal] = events("security.permission.denied")
    assert refusal.payload["attempted"] == "core.workspace.settings"


def test_a_member_who_has_left_cannot_change_the_workspace(cast):
    with pytest.raises(Refusal) as refused:
        workspaces.workspace_update_settings(
            membership=ended(cast.owner_membership),
            name="Acme",
            mfa_required_for_all=True,
            name_prefix_search=True,
        )
    assert (refused.value.status, refused.value.code) == (404, "not_a_member")
    assert acme().name_prefix_search is False
