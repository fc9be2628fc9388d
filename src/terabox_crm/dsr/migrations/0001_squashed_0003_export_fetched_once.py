# Squashed (docs/architecture.md, Migrations): each model of the app is created
# once in its final state, indexes and constraints included, and the data steps
# of the replaced chain run last. A fresh database applies this file only; one
# that ran the old chain records it as applied and runs nothing.

import uuid

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import terabox_crm.crypto.fields


class Migration(migrations.Migration):
    replaces = [
        ("dsr", "0001_initial"),
        ("dsr", "0002_export_attempts"),
        ("dsr", "0003_export_fetched_once"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("core", "0004_workspace_name_prefix_search"),
    ]

    operations = [
        migrations.CreateModel(
            name="Submission",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            (
                                "access",
                                "Access and disclosure (including records of provision to third parties)",
                            ),
                            ("correction", "Correction"),
                            ("restriction", "Restriction of use"),
                            ("withdrawal", "Withdrawal of consent"),
                            ("deletion", "Deletion"),
                        ],
                        max_length=16,
                        verbose_name="request",
                    ),
                ),
                ("email", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="email")),
                ("email_index", models.CharField(db_index=True, max_length=64)),
                (
                    "details",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="details"
                    ),
                ),
                ("language", models.CharField(default="ja", max_length=8)),
                (
                    "token_hash",
                    models.CharField(blank=True, db_index=True, default="", max_length=64),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("link_sent_at", models.DateTimeField(blank=True, null=True)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("verified_at", models.DateTimeField(blank=True, null=True)),
                ("routed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "workspace",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.workspace",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="WorkspacePolicy",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "due_days",
                    models.PositiveSmallIntegerField(
                        default=14,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(30),
                        ],
                        verbose_name="days to answer",
                    ),
                ),
                (
                    "contact_block",
                    models.TextField(blank=True, default="", verbose_name="contact information"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "workspace",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.workspace",
                    ),
                ),
            ],
            options={
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="PrivacyRequest",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("number", models.PositiveIntegerField(verbose_name="number")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            (
                                "access",
                                "Access and disclosure (including records of provision to third parties)",
                            ),
                            ("correction", "Correction"),
                            ("restriction", "Restriction of use"),
                            ("withdrawal", "Withdrawal of consent"),
                            ("deletion", "Deletion"),
                        ],
                        max_length=16,
                        verbose_name="request",
                    ),
                ),
                ("email", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="email")),
                ("email_index", models.CharField(db_index=True, max_length=64)),
                (
                    "details",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="details"
                    ),
                ),
                ("language", models.CharField(default="ja", max_length=8, verbose_name="language")),
                ("subject_ids", models.JSONField(blank=True, default=list)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("new", "New"),
                            ("in_progress", "In progress"),
                            ("done", "Done"),
                            ("refused", "Refused"),
                        ],
                        default="new",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("received_at", models.DateTimeField(verbose_name="received")),
                ("due_at", models.DateTimeField(verbose_name="due")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed")),
                (
                    "outcome",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="outcome"
                    ),
                ),
                ("reminded_level", models.PositiveSmallIntegerField(default=0)),
                (
                    "assignee",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="assignee",
                    ),
                ),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.workspace",
                    ),
                ),
                (
                    "submission",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="dsr.submission",
                    ),
                ),
            ],
            options={
                "verbose_name": "privacy request",
                "ordering": ["due_at", "id"],
                "indexes": [
                    models.Index(fields=["workspace", "status", "due_at"], name="dsr_queue")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("workspace", "number"), name="privacy_request_number_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Reply",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("body", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="message")),
                ("outbox_id", models.UUIDField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(auto_now_add=True)),
                (
                    "author",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="replies",
                        to="dsr.privacyrequest",
                    ),
                ),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.workspace",
                    ),
                ),
            ],
            options={
                "ordering": ["sent_at", "id"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="StatusChange",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("from_status", models.CharField(blank=True, default="", max_length=16)),
                (
                    "to_status",
                    models.CharField(
                        choices=[
                            ("new", "New"),
                            ("in_progress", "In progress"),
                            ("done", "Done"),
                            ("refused", "Refused"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "note",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="note"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "actor",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="history",
                        to="dsr.privacyrequest",
                    ),
                ),
                (
                    "workspace",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.workspace",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="AccessExport",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Being prepared"),
                            ("ready", "Sent to the person"),
                            ("expired", "Expired"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=8,
                    ),
                ),
                (
                    "token_hash",
                    models.CharField(blank=True, db_index=True, default="", max_length=64),
                ),
                ("key_id", models.CharField(blank=True, default="", max_length=32)),
                ("size", models.PositiveBigIntegerField(default=0)),
                ("rows", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("ready_at", models.DateTimeField(blank=True, null=True)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("downloads", models.PositiveIntegerField(default=0)),
                ("last_downloaded_at", models.DateTimeField(blank=True, null=True)),
                (
                    "requested_by",
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
                        related_name="+",
                        to="core.workspace",
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="exports",
                        to="dsr.privacyrequest",
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("failed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "failure",
                    models.CharField(
                        blank=True,
                        choices=[
                            (
                                "disk_full",
                                "The server ran out of disk space while writing the file. Ask the operator to free space, then try again.",
                            ),
                            (
                                "storage",
                                "The file could not be written. Ask the operator to check the data directory, then try again.",
                            ),
                            (
                                "data",
                                "Reading the person's data failed. Try again; if it fails again, tell the operator (the server log names the cause).",
                            ),
                        ],
                        default="",
                        max_length=16,
                    ),
                ),
                ("fetched_at", models.DateTimeField(blank=True, null=True)),
                (
                    "fetched_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at"],
                "indexes": [models.Index(fields=["state", "expires_at"], name="dsr_export_expiry")],
                "constraints": [],
            },
        ),
    ]
