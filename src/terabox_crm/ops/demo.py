"""The demo workspace that ``serve --demo`` seeds, so a first start shows a
living product instead of an empty sign-in page.

Idempotent: the workspace and its owner are made once, through the same
service as ``terabox-crm createowner`` (``ops.owners.owner_create``), and
found again on later starts by the owner's membership; missing colleagues are
added on every start.

The owner's password is generated on *every* ``--demo`` start and printed
once. Only its hash is stored, so a password printed at an earlier start
cannot be shown again; making a new one is the way a returning user gets in
without another command. The new password ends the owner's sessions (as any
password reset does), lifts a sign-in cool-off, and is recorded in the audit
trail. Two-factor enrolment, once done, stays: the password alone never
replaces it.

Colleagues get no usable password: they exist so that the members page and
the role hierarchy have something to show. Their addresses are under
example.com / example.jp, which cannot receive mail.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django_scopes import scope, scopes_disabled

from terabox_crm.accounts import throttle, tracking
from terabox_crm.accounts.models import User
from terabox_crm.audit import chain
from terabox_crm.context import system_context
from terabox_crm.core.models import Membership
from terabox_crm.core.roles import Role
from terabox_crm.ops import demo_crm, owners

WORKSPACE_NAME = "Terabox デモ"
OWNER_EMAIL = "demo@example.com"
OWNER_NAME = "山田 花子"


@dataclass(frozen=True)
class Colleague:
    email: str
    display_name: str
    role: str
    is_privacy_officer: bool = False
    is_auditor: bool = False


COLLEAGUES = (
    Colleague("sato.kenji@example.jp", "佐藤 健二", Role.ADMIN, is_privacy_officer=True),
    Colleague("emily.clark@example.com", "Emily Clark", Role.MANAGER),
    Colleague("tanaka.yui@example.jp", "田中 結衣", Role.MEMBER),
    Colleague("james.wilson@example.com", "James Wilson", Role.MEMBER),
    Colleague("suzuki.takumi@example.jp", "鈴木 拓海", Role.VIEWER, is_auditor=True),
)

# No look-alike characters: the password is read off a terminal and typed.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class DemoSignIn:
    workspace_name: str
    email: str
    password: str
    created: bool
    colleagues: tuple[Colleague, ...]


def generate_password(user=None) -> str:
    """Five groups of five (about 125 bits), checked by the product's own password rules."""
    while True:
        groups = ["".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(5)]
        password = "-".join(groups)
        try:
            validate_password(password, user)
        except ValidationError:  # pragma: no cover - astronomically unlikely
            continue
        return password


def demo_workspace(owner):
    """The workspace named like the demo that ``owner`` owns, or None."""

    with scopes_disabled():
        membership = (
            Membership.objects.filter(user=owner, role=Role.OWNER, workspace__name=WORKSPACE_NAME)
            .select_related("workspace")
            .order_by("created_at")
            .first()
        )
    return membership.workspace if membership is not None else None


def seed_demo() -> DemoSignIn:
    """Create (once) the demo workspace and people; give the owner a new password."""

    with system_context("cli"), transaction.atomic():
        owner = User.objects.find_by_email(OWNER_EMAIL)
        workspace = demo_workspace(owner) if owner is not None else None
        created = workspace is None
        password = generate_password(owner)
        if owner is not None:
            _reset_owner_password(owner, password)
        if created:
            # With an existing account, owner_create checks the password it
            # is given against it: the one just set.
            made = owners.owner_create(
                email=OWNER_EMAIL, workspace_name=WORKSPACE_NAME, password=password
            )
            owner, workspace = made.user, made.workspace
            if not owner.display_name:
                owner.display_name = OWNER_NAME
                owner.save(update_fields=["display_name"])
            # The demo's owner also answers for privacy (as in a small
            # company), so the privacy officer's screens can be tried with
            # the sign-in the demo prints: data-subject requests, erasure,
            # lifting a restriction.
            with scopes_disabled():
                Membership.objects.filter(user=owner, workspace=workspace).update(
                    is_privacy_officer=True
                )
        added = _ensure_colleagues(workspace)
        if created:
            demo_crm.seed(workspace, owner)
        if created or added:
            chain.record(
                "ops.demo.seeded", workspace=workspace, obj=workspace, payload={"added": added}
            )
    return DemoSignIn(WORKSPACE_NAME, OWNER_EMAIL, password, created, COLLEAGUES)


def _reset_owner_password(owner, password: str) -> None:
    owner.set_password(password)
    owner.save(update_fields=["password", "password_changed_at"])
    ended = tracking.end_sessions(owner)
    throttle.default().clear_account(email=owner.email)
    chain.record(
        "ops.demo.password_reset",
        workspace=demo_workspace(owner),
        obj=owner,
        payload={"sessions_ended": ended},
    )


def _ensure_colleagues(workspace) -> int:
    """Add the colleagues missing from ``workspace``; return how many were added."""

    added = 0
    with scope(workspace=workspace):
        for colleague in COLLEAGUES:
            user = User.objects.find_by_email(colleague.email)
            if user is None:
                user = User.objects.create_user(
                    colleague.email, None, display_name=colleague.display_name
                )
            if Membership.objects.filter(workspace=workspace, user=user).exists():
                continue
            Membership.objects.create(
                workspace=workspace,
                user=user,
                role=colleague.role,
                is_privacy_officer=colleague.is_privacy_officer,
                is_auditor=colleague.is_auditor,
            )
            added += 1
    return added
