"""Factories and the shared cast used across the test suite.

The cast (``conftest.cast``): in workspace "Acme" an owner, an admin, a
manager, a member and a viewer; in workspace "Globex" an outsider who must
never see Acme's data. ``make_invitation`` gives a pending invite and its token.
"""

from __future__ import annotations

import functools
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.text import slugify
from django_scopes import scopes_disabled

from terabox_crm.accounts.models import User, email_index_of
from terabox_crm.core.models import Invitation, Membership, Workspace
from terabox_crm.core.roles import Role

PASSWORD = "correct horse battery staple"  # nosec B105  # the test cast's known password


@functools.cache
def _password_hash(password: str, hasher: str) -> str:
    return make_password(password)


def make_user(email: str, password: str | None = PASSWORD, **extra) -> User:
    """A user whose password is ``password`` (None: no usable password).

    Argon2 is deliberately slow (S2), and the cast alone holds six users per
    test: the hash of each password is computed once per test process and
    reused, which is harmless for test data and saves minutes per run.
    """
    user = User.objects.create_user(email, None, **extra)
    if password is not None:
        user.password = _password_hash(password, settings.PASSWORD_HASHERS[0])
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
    return user


def make_workspace(name: str, **extra) -> Workspace:
    return Workspace.objects.create(name=name, slug=slugify(name) or name.lower(), **extra)


def add_member(workspace: Workspace, user: User, role: str = Role.MEMBER, **extra) -> Membership:
    with scopes_disabled():
        return Membership.objects.create(workspace=workspace, user=user, role=role, **extra)


def make_invitation(
    workspace: Workspace,
    email: str,
    role: str = Role.MEMBER,
    *,
    invited_by: User | None = None,
    expires_in: timedelta | None = None,
    **extra,
) -> tuple[Invitation, str]:
    """A pending invitation and its token, written directly (no email, no audit).

    ``invited_by`` defaults to an owner of the workspace, since an invitation
    is only valid while its sender may still grant its role.
    """
    if invited_by is None:
        with scopes_disabled():
            owner = Membership.objects.filter(workspace=workspace, role=Role.OWNER).first()
        invited_by = owner.user if owner else None
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        workspace=workspace,
        email=email,
        email_index=email_index_of(email),
        role=role,
        token_hash=Invitation.hash_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + (expires_in or settings.INVITE_VALID_FOR),
        **extra,
    )
    invitation.save(force_insert=True)
    return invitation, token
