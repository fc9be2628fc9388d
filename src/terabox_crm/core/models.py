"""Workspaces and who belongs to them.

A workspace is the tenant: every CRM row belongs to exactly one, and every
query on a tenant model goes through django-scopes (``ScopedManager``) so that
an unscoped query raises instead of leaking another workspace's rows.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from terabox_crm.core.records import RecordQuerySet
from terabox_crm.core.roles import MFA_ALWAYS_REQUIRED, Capability, Role
from terabox_crm.crypto.fields import EncryptedTextField


class RecordVisibility(models.TextChoices):
    """Who reads CRM records (S6): everybody in the workspace, or
    below admin only the records one owns or that belong to one's team."""

    WORKSPACE = "workspace", _("Every member reads every record")
    TEAM = "team", _("Members read their own and their team's records")


class Workspace(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(max_length=64, unique=True)
    # S14: two-factor is required for everybody unless an owner relaxes it for
    # members and viewers (whose passwords then need 15 characters).
    mfa_required_for_all = models.BooleanField(
        _("require two-factor for every member"), default=True
    )
    record_visibility = models.CharField(
        _("record visibility"),
        max_length=16,
        choices=RecordVisibility.choices,
        default=RecordVisibility.WORKSPACE,
    )
    # Typeahead on names (S3, ADR 0005): prefix terms beside the whole-token ones.
    # Off by default, it leaks more (docs/decisions/0005-blind-index-leakage.md).
    name_prefix_search = models.BooleanField(_("prefix search on names"), default=False)
    # The job that makes the prefix terms match the setting (built when on,
    # deleted when off): ``{"done": bool, "sources": {label: {"cursor", "done"}},
    # "rows": n, "at": iso time}``; ``{}`` when nothing was ever asked
    # (crypto/search_index.py). ``changed_at`` tells a job it was superseded.
    name_prefix_progress = models.JSONField(default=dict, blank=True)
    name_prefix_changed_at = models.DateTimeField(null=True, blank=True)
    # The language of emails to contacts, who choose none themselves (notices
    # of a policy change, P10); users get theirs in their own language.
    default_language = models.CharField(
        _("default language"),
        max_length=8,
        choices=[("ja", _("Japanese")), ("en", _("English"))],
        default="ja",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def requires_mfa_for(self, membership: Membership) -> bool:
        """Whether ``membership`` (saved or not) must use two-factor here (S14)."""
        if self.mfa_required_for_all or membership.role in MFA_ALWAYS_REQUIRED:
            return True
        return membership.is_privacy_officer or membership.is_auditor


class Team(models.Model):
    """A group of members inside a workspace; CRM records may belong to one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="team_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_privacy_officer = models.BooleanField(_("privacy officer"), default=False)
    is_auditor = models.BooleanField(_("auditor"), default=False)
    # The member's team (S6): managers and members edit their team's records.
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("team"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.workspace_id} as {self.role}"

    @property
    def capabilities(self) -> frozenset[str]:
        caps = set()
        if self.is_privacy_officer:
            caps.add(Capability.PRIVACY_OFFICER)
        if self.is_auditor:
            caps.add(Capability.AUDITOR)
        return frozenset(caps)


class Invitation(models.Model):
    """An invite link sent by email. Only a hash of its token is stored.

    The invited address is personal data: it is stored encrypted, and compared
    through ``email_index`` — the same full blind index as a user's sign-in
    email — so "is this invite for the signed-in user?" and "is there already a
    pending invite for this address?" never need the plaintext.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = EncryptedTextField(_("email"))
    email_index = models.CharField(max_length=64, db_index=True, default="")
    # The language the invitation email is written in, and the new account's
    # language when the invitee signs up from the link.
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation {self.id}"

    @staticmethod
    def hash_token(token: str) -> str:
        """The stored form of an invite token: its SHA-256, hex encoded.

        The token carries 256 random bits, so an unsalted fast hash is enough:
        there is nothing to brute-force, and a database leak reveals no link.
        """
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @property
    def is_pending(self) -> bool:
        """Neither accepted nor revoked (it may still have expired)."""
        return self.accepted_at is None and self.revoked_at is None

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class OwnedRecord(models.Model):
    """The shape every CRM record shares (company, contact, deal, activity,
    task, ticket): a workspace, an owner, an optional team, and timestamps.

    Who reads and edits it is decided once, in ``core.records`` (S6): lists
    ask ``Model.objects.visible_to(membership)``, single objects
    ``policy.can(membership, action, record)``, links
    ``records.readable(membership, Model, pk)``. The privacy engine, exports
    and erasure walk these records through the same fields.

    A model whose fields differ (a nullable owner, a verbose name) redefines
    that one field; the database schema stays what each model had.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(
        workspace="workspace", _manager_class=models.Manager.from_queryset(RecordQuerySet)
    )

    # True when the record's ``assignee`` reads and edits it besides its
    # owner and team (tasks, tickets): see ``core.records``.
    assignee_reads: ClassVar[bool] = False

    class Meta:
        abstract = True


class Evidence(models.Model):
    """One check of a promise and its outcome, installation-wide (SPEC §6,
    S8, S11): a backup taken or verified, a restore drill, an audit-chain
    verification, a key rotation. The security report and, later, the trust
    centre read the latest of each kind here instead of parsing logs.

    Facts are ids, counts, sizes and times, never personal data.
    """

    class Outcome(models.TextChoices):
        PASS = "pass", pgettext_lazy("check outcome", "pass")
        WARN = "warn", pgettext_lazy("check outcome", "warn")
        FAIL = "fail", pgettext_lazy("check outcome", "fail")

    kind = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    facts = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["kind", "-at"], name="core_evidence_kind_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.outcome} at {self.at:%Y-%m-%d %H:%M}"
