"""Factories and the shared cast used across the test suite.

The cast: in workspace "Acme" an owner, an admin, a member and a viewer; in
workspace "Globex" an outsider who must never see Acme's data.
"""

from __future__ import annotations

from django.utils.text import slugify
from django_scopes import scopes_disabled

from terabox_crm.accounts.models import User
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import Role

PASSWORD = "correct horse battery staple"


def make_user(email: str, password: str = PASSWORD, **extra) -> User:
    return User.objects.create_user(email, password, **extra)


def make_workspace(name: str, **extra) -> Workspace:
    return Workspace.objects.create(name=name, slug=slugify(name) or name.lower(), **extra)


def add_member(workspace: Workspace, user: User, role: str = Role.MEMBER, **extra) -> Membership:
    with scopes_disabled():
        return Membership.objects.create(workspace=workspace, user=user, role=role, **extra)
