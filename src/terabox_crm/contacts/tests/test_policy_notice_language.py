"""The notice of a policy change (P10): contacts are told in their
workspace's default language, and each address once per version whatever
audiences and workspaces hold it (real SMTP)."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.models import Contact, ContactEmail
from terabox_crm.core import workspaces
from terabox_crm.core.models import Workspace
from terabox_crm.policies import notices
from terabox_crm.policies.models import NoticeDispatch, NoticeRecipient
from terabox_crm.policies.tests.helpers import version
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def _contact(workspace, owner, address):
    with scope(workspace=workspace):
        contact = Contact.objects.create(
            workspace=workspace, family_name="山田", given_name="花子", owner=owner
        )
        ContactEmail.objects.create(
            workspace=workspace, contact=contact, value=address, is_primary=True
        )
    return contact


def _received(smtp_server, count) -> list:
    deadline = timezone.now() + timedelta(seconds=10)
    while len(smtp_server.messages) < count and timezone.now() < deadline:
        smtp_server.event.wait(0.2)
    return [
        (env.rcpt_tos, email.message_from_bytes(env.content, policy=policy.default))
        for env in smtp_server.messages
    ]


def test_one_notice_per_address_in_the_right_language(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        Workspace.objects.filter(pk=cast.globex.pk).update(default_language="en")
    cast.member.language = "en"
    cast.member.save(update_fields=["language"])
    # The member is also a contact of Acme (in Japanese) and of Globex.
    _contact(cast.acme, cast.owner, cast.member.email.upper())
    _contact(cast.globex, cast.outsider, cast.member.email)
    # One person known to both workspaces, and one to each.
    _contact(cast.acme, cast.owner, "both@example.jp")
    _contact(cast.globex, cast.outsider, "Both@Example.jp")
    _contact(cast.acme, cast.owner, "acme-only@example.jp")
    _contact(cast.globex, cast.outsider, "globex-only@example.com")
    users = {u.email for u in get_user_model().objects.filter(is_active=True)}
    version("privacy", number=2, effective_in=timedelta(days=20))

    with django_capture_on_commit_callbacks(execute=True):
        queued = notices.dispatch_due()

    expected = len(users) + 3  # every user once; both@, acme-only@, globex-only@
    assert queued == expected
    received = _received(smtp_server, expected)
    assert len(received) == expected
    recipients = [rcpt.lower() for rcpts, _msg in received for rcpt in rcpts]
    assert len(recipients) == len(set(recipients)) == expected
    subjects = {rcpts[0].lower(): str(msg["Subject"]) for rcpts, msg in received}
    # The member is told once, as a user, in the language they chose.
    assert "Our privacy policy changes" in subjects[cast.member.email.lower()]
    assert subjects["acme-only@example.jp"].strip().startswith("プライバシーポリシー")
    assert "Our privacy policy changes" in subjects["globex-only@example.com"]
    with scopes_disabled():
        assert NoticeRecipient.objects.count() == expected
        contacts_dispatch = NoticeDispatch.objects.get(audience="contacts")
    assert contacts_dispatch.recipients == 3
    # A second run tells nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.dispatch_due() == 0


def test_recipients_are_forgotten_once_the_version_is_in_effect(cast):
    upcoming = version("privacy", number=2, effective_in=timedelta(days=20))
    notices.dispatch_due()
    assert NoticeRecipient.objects.filter(version=upcoming).exists()
    assert notices.prune_recipients(now=timezone.now()) == 0
    assert notices.prune_recipients(now=upcoming.effective_at + timedelta(seconds=1)) > 0
    assert not NoticeRecipient.objects.exists()


def test_owners_set_the_workspace_language_on_the_settings_page(client, cast):
    login(client, cast.owner)
    page = client.get("/workspace/settings/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'name="default_language"' in page.content.decode()
    saved = client.post(
        "/workspace/settings/",
        {"name": cast.acme.name, "mfa_required_for_all": "on", "default_language": "en"},
    )
    assert saved.status_code == 302
    with scopes_disabled():
        assert Workspace.objects.get(pk=cast.acme.pk).default_language == "en"
    event = AuditEvent.objects.filter(action="core.workspace.settings_changed").latest("seq")
    assert event.object_id == str(cast.acme.pk)
    bad = client.post(
        "/workspace/settings/",
        {"name": cast.acme.name, "mfa_required_for_all": "on", "default_language": "fr"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    with scopes_disabled():
        assert Workspace.objects.get(pk=cast.acme.pk).default_language == "en"
    with pytest.raises(Refusal):
        workspaces.workspace_update_settings(
            membership=cast.owner_membership,
            name=cast.acme.name,
            mfa_required_for_all=True,
            default_language="fr",
        )


def test_a_member_cannot_change_the_workspace_language(client, cast):
    login(client, cast.member)
    response = client.post(
        "/workspace/settings/",
        {"name": cast.acme.name, "mfa_required_for_all": "on", "default_language": "en"},
    )
    assert response.status_code in (403, 404)
    with scopes_disabled():
        assert Workspace.objects.get(pk=cast.acme.pk).default_language == "ja"
