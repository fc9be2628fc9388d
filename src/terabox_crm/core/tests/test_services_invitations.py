"""member_invite, invitation_revoke/resend/accept/sign_up: the invite link's life."""

import hashlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from terabox_crm.accounts.models import User
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.core import invitations, members
from terabox_crm.core.models import Invitation, Membership
from terabox_crm.core.roles import Role
from terabox_crm.core.tests.support import core_state, events
from terabox_crm.refusals import Refusal
from terabox_crm.testing import factories

NEW = "new.person@example.jp"


def _invitation(pk) -> Invitation:
    with scopes_disabled():
        return Invitation.objects.get(pk=pk)


def _invite(cast, *, membership=None, email=NEW, role=Role.MEMBER, language="en"):
    return invitations.member_invite(
        membership=membership or cast.owner_membership, email=email, role=role, language=language
    )


# --- Inviting ------------------------------------------------------------------------------


def test_invite_stores_only_the_hash_of_the_token(cast):
    sent = _invite(cast)
    stored = _invitation(sent.invitation.pk)
    assert stored.token_hash == hashlib.sha256(sent.token.encode()).hexdigest()
    assert sent.token not in stored.token_hash
    assert len(sent.token) >= 43  # 32 random bytes


def test_invite_expires_after_the_configured_time(cast):
    before = timezone.now()
    sent = _invite(cast)
    expected = before + settings.INVITE_VALID_FOR
    assert abs((sent.invitation.expires_at - expected).total_seconds()) < 5


def test_invite_queues_the_email_with_the_link(cast):
    sent = _invite(cast, role=Role.MANAGER)
    [email] = OutboxEmail.objects.filter(kind="core/email/invitation")
    assert email.to == NEW
    assert sent.link in email.body_text
    assert "Acme" in email.subject
    assert "Manager" in email.body_text
    assert email.workspace_id == cast.acme.pk


def test_invitation_email_in_japanese(cast):
    _invite(cast, role=Role.VIEWER, language="ja")
    email = OutboxEmail.objects.get(kind="core/email/invitation")
    assert "招待" in email.subject
    assert "閲覧者" in email.body_text


def test_email_language_defaults_to_the_inviters_language(cast):
    with translation.override("ja"):
        _invite(cast, language="")
    assert _invitation(events("core.invitation.created")[0].object_id).language == "ja"


def test_invite_is_audited_without_the_email_in_the_chained_part(cast):
    sent = _invite(cast, role=Role.ADMIN)
    [event] = events("core.invitation.created")
    assert event.object_id == str(sent.invitation.pk)
    assert event.payload["role"] == Role.ADMIN
    assert NEW not in str(event.payload)


def test_admin_may_invite_below_own_role(cast):
    sent = _invite(cast, membership=cast.admin_membership, role=Role.MANAGER)
    assert sent.invitation.role == Role.MANAGER


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_admin_cannot_invite_at_or_above_own_role(cast, role):
    before = core_state()
    with pytest.raises(Refusal) as caught:
        _invite(cast, membership=cast.admin_membership, role=role)
    assert caught.value.code == "role_above_own"
    assert caught.value.status == 403
    assert core_state() == before
    [event] = events("security.permission.denied")
    assert event.payload["role"] == role
    assert event.payload["reason"] == "role_above_own"
    assert event.chain == str(cast.acme.pk)


def test_refusal_message_is_translated(cast):
    for language, text in (("en", "below your own"), ("ja", "自分より下")):
        with translation.override(language), pytest.raises(Refusal) as caught:
            _invite(cast, membership=cast.admin_membership, role=Role.OWNER)
        with translation.override(language):
            assert text in caught.value.text


def test_manager_cannot_invite_anyone(cast):
    before = core_state()
    with pytest.raises(Refusal) as caught:
        _invite(cast, membership=cast.manager_membership, role=Role.VIEWER)
    assert caught.value.code == "permission_denied"
    assert core_state() == before
    assert len(events("security.permission.denied")) == 1


def test_unknown_role_is_a_tampered_request(cast):
    before = core_state()
    with pytest.raises(Refusal) as caught:
        _invite(cast, role="superuser")
    assert caught.value.status == 400
    assert core_state() == before
    assert len(events("security.request.invalid")) == 1


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "x" * 250 + "@example.jp"])
def test_malformed_email_is_refused(cast, email):
    before = core_state()
    with pytest.raises(Refusal) as caught:
        _invite(cast, email=email)
    assert caught.value.status == 400
    assert core_state() == before


def test_existing_members_email_is_refused(cast):
    before = core_state()
    with pytest.raises(Refusal) as caught:
        _invite(cast, email="MEMBER@acme.example")
    assert caught.value.code == "already_member"
    assert caught.value.status == 409
    assert core_state() == before


def test_a_member_of_another_workspace_can_be_invited(cast):
    sent = _invite(cast, email="outsider@globex.example")
    assert sent.invitation.email == "outsider@globex.example"


def test_new_invite_replaces_the_pending_one_for_the_same_address(cast):
    first = _invite(cast)
    second = _invite(cast, email=NEW.upper(), role=Role.VIEWER)
    assert _invitation(first.invitation.pk).revoked_at is not None
    assert _invitation(second.invitation.pk).is_pending
    assert events("core.invitation.created")[1].payload["replaced"] == [str(first.invitation.pk)]
    with pytest.raises(Refusal) as caught:
        invitations.invitation_accept(actor=factories.make_user(NEW), token=first.token)
    assert caught.value.code == "invitation_revoked"


# --- Revoking and sending again -----------------------------------------------------------------


def test_revoke_stops_the_link(cast):
    sent = _invite(cast)
    invitations.invitation_revoke(membership=cast.admin_membership, invitation=sent.invitation)
    assert _invitation(sent.invitation.pk).revoked_at is not None
    assert len(events("core.invitation.revoked")) == 1


def test_revoking_twice_is_refused(cast):
    sent = _invite(cast)
    invitations.invitation_revoke(membership=cast.owner_membership, invitation=sent.invitation)
    with pytest.raises(Refusal) as caught:
        invitations.invitation_revoke(membership=cast.owner_membership, invitation=sent.invitation)
    assert caught.value.code == "not_pending"
    assert caught.value.status == 409


def test_admin_cannot_revoke_an_admin_invitation(cast):
    sent = _invite(cast, role=Role.ADMIN)
    before = core_state()
    with pytest.raises(Refusal) as caught:
        invitations.invitation_revoke(membership=cast.admin_membership, invitation=sent.invitation)
    assert caught.value.code == "role_above_own"
    assert core_state() == before
    assert len(events("security.permission.denied")) == 1


def test_resend_issues_a_new_link_and_expiry(cast):
    invitation, old_token = factories.make_invitation(cast.acme, NEW, expires_in=timedelta(days=-1))
    sent = invitations.invitation_resend(membership=cast.owner_membership, invitation=invitation)
    assert sent.token != old_token
    assert sent.invitation.expires_at > timezone.now() + timedelta(days=6)
    assert OutboxEmail.objects.filter(kind="core/email/invitation").count() == 1
    assert len(events("core.invitation.resent")) == 1
    user = factories.make_user(NEW)
    with pytest.raises(Refusal):
        invitations.invitation_accept(actor=user, token=old_token)
    invitations.invitation_accept(actor=user, token=sent.token)


# --- Accepting -------------------------------------------------------------------------------------


def test_accept_creates_the_membership_with_the_invited_role(cast):
    sent = _invite(cast, role=Role.MANAGER)
    user = factories.make_user("New.Person@Example.JP")  # same address, other spelling
    membership = invitations.invitation_accept(actor=user, token=sent.token)
    assert membership.role == Role.MANAGER
    assert membership.workspace == cast.acme
    stored = _invitation(sent.invitation.pk)
    assert stored.accepted_at is not None
    assert stored.accepted_by_id == user.pk
    [event] = events("core.invitation.accepted")
    assert event.actor_id == user.pk
    assert event.payload["new_account"] is False


def test_member_of_another_workspace_accepts_and_belongs_to_both(cast):
    sent = _invite(cast, email="outsider@globex.example")
    invitations.invitation_accept(actor=cast.outsider, token=sent.token)
    with scopes_disabled():
        assert Membership.objects.filter(user=cast.outsider).count() == 2


def _refused_accept(user, token) -> Refusal:
    before = core_state()
    with pytest.raises(Refusal) as caught:
        invitations.invitation_accept(actor=user, token=token)
    assert core_state() == before
    return caught.value


def test_expired_invitation_is_refused(cast):
    _invitation_row, token = factories.make_invitation(
        cast.acme, NEW, expires_in=timedelta(seconds=-1)
    )
    error = _refused_accept(factories.make_user(NEW), token)
    assert (error.code, error.status) == ("invitation_expired", 410)
    [event] = events("security.invitation.refused")
    assert event.payload["reason"] == "invitation_expired"
    assert event.chain == str(cast.acme.pk)


def test_revoked_invitation_is_refused(cast):
    sent = _invite(cast)
    invitations.invitation_revoke(membership=cast.owner_membership, invitation=sent.invitation)
    error = _refused_accept(factories.make_user(NEW), sent.token)
    assert (error.code, error.status) == ("invitation_revoked", 410)
    assert len(events("security.invitation.refused")) == 1


def test_used_invitation_is_refused(cast):
    sent = _invite(cast)
    invitations.invitation_accept(actor=factories.make_user(NEW), token=sent.token)
    error = _refused_accept(cast.outsider, sent.token)
    assert (error.code, error.status) == ("invitation_used", 410)


def test_invitation_for_another_address_is_refused(cast):
    sent = _invite(cast)
    error = _refused_accept(cast.outsider, sent.token)
    assert (error.code, error.status) == ("invitation_wrong_email", 403)
    [event] = events("security.invitation.refused")
    assert event.actor_id == cast.outsider.pk
    assert event.payload["reason"] == "invitation_wrong_email"


def test_unknown_token_is_refused_on_the_system_chain(cast):
    error = _refused_accept(cast.outsider, "no-such-token")
    assert (error.code, error.status) == ("invitation_unknown", 404)
    [event] = events("security.invitation.refused")
    assert event.chain == "system"


def test_invitation_dies_with_its_senders_right_to_grant(cast):
    sent = _invite(cast, membership=cast.admin_membership, role=Role.MANAGER)
    members.member_change_role(
        membership=cast.owner_membership, target=cast.admin_membership, role=Role.MEMBER
    )
    error = _refused_accept(factories.make_user(NEW), sent.token)
    assert (error.code, error.status) == ("invitation_inviter_lost_rights", 410)


def test_already_a_member_is_refused(cast):
    _invitation, token = factories.make_invitation(cast.acme, "member@acme.example")
    error = _refused_accept(cast.member, token)
    assert error.code == "already_member"


def test_expired_message_is_translated(cast):
    _row, token = factories.make_invitation(cast.acme, NEW, expires_in=timedelta(seconds=-1))
    user = factories.make_user(NEW)
    for language, text in (("en", "has expired"), ("ja", "有効期限")):
        with translation.override(language), pytest.raises(Refusal) as caught:
            invitations.invitation_accept(actor=user, token=token)
        with translation.override(language):
            assert text in caught.value.text


# --- Signing up from the link ------------------------------------------------------------------


def test_sign_up_creates_the_account_and_the_membership(cast):
    sent = _invite(cast, role=Role.VIEWER, language="ja")
    membership = invitations.invitation_sign_up(
        token=sent.token, display_name=" 新井  花子 ", password="a long enough passphrase"
    )
    user = User.objects.get_by_email(NEW)
    assert membership.user == user
    assert user.display_name == "新井 花子"
    assert user.language == "ja"
    assert user.check_password("a long enough passphrase")
    assert events("core.invitation.accepted")[0].payload["new_account"] is True


def test_sign_up_needs_12_characters_where_two_factor_is_required(cast):
    sent = _invite(cast)
    before = core_state()
    with pytest.raises(ValidationError):
        invitations.invitation_sign_up(token=sent.token, display_name="N", password="short pass1")
    assert core_state() == before
    assert User.objects.find_by_email(NEW) is None
    invitations.invitation_sign_up(token=sent.token, display_name="N", password="twelve chars")


def test_sign_up_needs_15_characters_without_two_factor(cast):
    cast.acme.mfa_required_for_all = False
    cast.acme.save()
    sent = _invite(cast, role=Role.MEMBER)
    with pytest.raises(ValidationError):
        invitations.invitation_sign_up(token=sent.token, display_name="N", password="twelve chars")
    assert User.objects.find_by_email(NEW) is None
    invitations.invitation_sign_up(token=sent.token, display_name="N", password="fifteen chars!!")


def test_sign_up_for_an_admin_role_needs_only_12_even_when_relaxed(cast):
    cast.acme.mfa_required_for_all = False
    cast.acme.save()
    sent = _invite(cast, role=Role.ADMIN)
    membership = invitations.invitation_sign_up(
        token=sent.token, display_name="N", password="twelve chars"
    )
    assert membership.role == Role.ADMIN
    assert membership.workspace == cast.acme
    assert membership.user.check_password("twelve chars")


def test_sign_up_refuses_passwords_built_on_the_workspace_name(cast):
    cast.acme.name = "Initech Japan"
    cast.acme.save()
    sent = _invite(cast)
    with pytest.raises(ValidationError):
        invitations.invitation_sign_up(
            token=sent.token, display_name="N", password="Initech-Japan!"
        )


def test_sign_up_is_refused_when_the_account_exists(cast):
    sent = _invite(cast)
    factories.make_user(NEW)
    before = core_state()
    with pytest.raises(Refusal) as caught:
        invitations.invitation_sign_up(token=sent.token, display_name="N", password="x" * 20)
    assert caught.value.code == "account_exists"
    assert core_state() == before


def test_sign_up_with_an_expired_link_creates_no_account(cast):
    _row, token = factories.make_invitation(cast.acme, NEW, expires_in=timedelta(seconds=-1))
    with pytest.raises(Refusal) as caught:
        invitations.invitation_sign_up(token=token, display_name="N", password="x" * 20)
    assert caught.value.code == "invitation_expired"
    assert User.objects.find_by_email(NEW) is None
    assert len(events("security.invitation.refused")) == 1
