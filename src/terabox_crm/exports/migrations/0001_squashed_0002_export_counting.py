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
    replaces = [("exports", "0001_initial"), ("exports", "0002_export_counting")]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("core", "0006_evidence"),
        ("privacy", "0004_provision_purpose"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExportSettings",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "approval_threshold",
                    models.PositiveIntegerField(
                        default=10000,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(100000000),
                        ],
                        verbose_name="rows that need a second admin's approval",
                    ),
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
            name="Export",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("channel", models.CharField(default="web", max_length=8)),
                ("resource", models.CharField(max_length=16, verbose_name="records")),
                (
                    "format",
                    models.CharField(
                        choices=[("csv", "CSV"), ("xlsx", "XLSX"), ("json", "JSON")],
                        max_length=8,
                        verbose_name="format",
                    ),
                ),
                (
                    "filters",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="filters"
                    ),
                ),
                ("fields", models.JSONField(default=list, verbose_name="columns")),
                (
                    "recipient",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="third-party recipient"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("counting", "Counting the rows"),
                            ("awaiting", "Waiting for approval"),
                            ("queued", "Queued"),
                            ("running", "Being prepared"),
                            ("ready", "Ready to download"),
                            ("downloaded", "Downloaded"),
                            ("expired", "Expired"),
                            ("failed", "Failed"),
                        ],
                        default="counting",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("matched", models.PositiveIntegerField(default=0)),
                ("excluded_before", models.JSONField(blank=True, default=dict)),
                ("rows", models.PositiveIntegerField(default=0, verbose_name="rows")),
                ("excluded", models.JSONField(blank=True, default=dict)),
                ("progress", models.PositiveIntegerField(default=0)),
                (
                    "sha256",
                    models.CharField(blank=True, default="", max_length=64, verbose_name="SHA-256"),
                ),
                ("size", models.PositiveBigIntegerField(default=0)),
                ("key_id", models.CharField(blank=True, default="", max_length=64)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("failure", models.CharField(blank=True, default="", max_length=32)),
                ("approval_required", models.BooleanField(default=False)),
                ("approved_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="requested")),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "expires_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="link expires"),
                ),
                (
                    "downloaded_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="downloaded"),
                ),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="approved by",
                    ),
                ),
                (
                    "purpose",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="privacy.purpose",
                        verbose_name="purpose",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requested by",
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
                "verbose_name": "export",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["workspace", "-created_at", "-id"], name="export_recent"),
                    models.Index(fields=["status", "expires_at"], name="export_expiry"),
                ],
                "constraints": [],
            },
        ),
    ]
