# Squashed (docs/architecture.md, Migrations): each model of the app is created
# once in its final state, indexes and constraints included, and the data steps
# of the replaced chain run last. A fresh database applies this file only; one
# that ran the old chain records it as applied and runs nothing.

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import terabox_crm.crypto.fields


class Migration(migrations.Migration):
    replaces = [
        ("core", "0001_initial"),
        ("core", "0002_invitation_email_index"),
        ("core", "0003_team_record_visibility"),
        ("core", "0004_workspace_name_prefix_search"),
        ("core", "0005_workspace_default_language"),
        ("core", "0006_evidence"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Workspace",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                ("slug", models.SlugField(max_length=64, unique=True)),
                (
                    "mfa_required_for_all",
                    models.BooleanField(
                        default=True, verbose_name="require two-factor for every member"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "record_visibility",
                    models.CharField(
                        choices=[
                            ("workspace", "Every member reads every record"),
                            ("team", "Members read their own and their team's records"),
                        ],
                        default="workspace",
                        max_length=16,
                        verbose_name="record visibility",
                    ),
                ),
                (
                    "name_prefix_search",
                    models.BooleanField(default=False, verbose_name="prefix search on names"),
                ),
                ("name_prefix_progress", models.JSONField(blank=True, default=dict)),
                ("name_prefix_changed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "default_language",
                    models.CharField(
                        choices=[("ja", "Japanese"), ("en", "English")],
                        default="ja",
                        max_length=8,
                        verbose_name="default language",
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Evidence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=64)),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "outcome",
                    models.CharField(
                        choices=[("pass", "pass"), ("warn", "warn"), ("fail", "fail")], max_length=8
                    ),
                ),
                ("facts", models.JSONField(blank=True, default=dict)),
            ],
            options={
                "indexes": [models.Index(fields=["kind", "-at"], name="core_evidence_kind_at")],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Invitation",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("email", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="email")),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("owner", "Owner"),
                            ("admin", "Admin"),
                            ("manager", "Manager"),
                            ("member", "Member"),
                            ("viewer", "Viewer"),
                        ],
                        default="member",
                        max_length=16,
                        verbose_name="role",
                    ),
                ),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("expires_at", models.DateTimeField()),
                ("accepted_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "invited_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitations",
                        to="core.workspace",
                    ),
                ),
                (
                    "accepted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("email_index", models.CharField(db_index=True, default="", max_length=64)),
                (
                    "language",
                    models.CharField(blank=True, default="", max_length=8, verbose_name="language"),
                ),
            ],
            options={
                "ordering": ["-created_at"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Team",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="teams",
                        to="core.workspace",
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
                "indexes": [],
                "constraints": [
                    models.UniqueConstraint(fields=("workspace", "name"), name="team_name_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="Membership",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("owner", "Owner"),
                            ("admin", "Admin"),
                            ("manager", "Manager"),
                            ("member", "Member"),
                            ("viewer", "Viewer"),
                        ],
                        default="member",
                        max_length=16,
                        verbose_name="role",
                    ),
                ),
                (
                    "is_privacy_officer",
                    models.BooleanField(default=False, verbose_name="privacy officer"),
                ),
                ("is_auditor", models.BooleanField(default=False, verbose_name="auditor")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="core.workspace",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="memberships",
                        to="core.team",
                        verbose_name="team",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("workspace", "user"), name="one_membership_per_user"
                    )
                ],
                "indexes": [],
            },
        ),
    ]
