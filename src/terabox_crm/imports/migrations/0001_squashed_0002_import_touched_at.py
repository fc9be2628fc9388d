# Squashed (docs/architecture.md, Migrations): each model of the app is created
# once in its final state, indexes and constraints included, and the data steps
# of the replaced chain run last. A fresh database applies this file only; one
# that ran the old chain records it as applied and runs nothing.

import django.db.models.deletion
import terabox_crm.crypto.fields
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("imports", "0001_initial"), ("imports", "0002_import_touched_at")]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("core", "0006_evidence"),
    ]

    operations = [
        migrations.CreateModel(
            name="Import",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("channel", models.CharField(default="web", max_length=8)),
                (
                    "resource",
                    models.CharField(
                        choices=[("contacts", "Contacts"), ("companies", "Companies")],
                        max_length=16,
                        verbose_name="records",
                    ),
                ),
                (
                    "file_format",
                    models.CharField(
                        choices=[("csv", "CSV"), ("xlsx", "XLSX")],
                        max_length=8,
                        verbose_name="format",
                    ),
                ),
                (
                    "encoding",
                    models.CharField(
                        blank=True, default="", max_length=16, verbose_name="character encoding"
                    ),
                ),
                (
                    "file_name",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="file name"
                    ),
                ),
                (
                    "headers",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="columns of the file"
                    ),
                ),
                (
                    "mapping",
                    models.JSONField(blank=True, default=list, verbose_name="column mapping"),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("direct", "Collected by us directly"),
                            ("import", "Another system of ours"),
                            ("third_party", "From a third party"),
                        ],
                        default="import",
                        max_length=16,
                        verbose_name="source",
                    ),
                ),
                (
                    "receipt",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="consent reference"
                    ),
                ),
                (
                    "on_duplicate",
                    models.CharField(
                        choices=[
                            ("skip", "Skip the row"),
                            ("update", "Update the existing record"),
                        ],
                        default="skip",
                        max_length=8,
                        verbose_name="when the record exists",
                    ),
                ),
                ("dry_run", models.BooleanField(default=True, verbose_name="dry run")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("uploaded", "Waiting for the column mapping"),
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("checked", "Dry run done"),
                            ("done", "Imported"),
                            ("failed", "Failed"),
                            ("expired", "Expired"),
                        ],
                        default="uploaded",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("size", models.PositiveBigIntegerField(default=0)),
                (
                    "sha256",
                    models.CharField(blank=True, default="", max_length=64, verbose_name="SHA-256"),
                ),
                ("key_id", models.CharField(blank=True, default="", max_length=64)),
                ("total", models.PositiveIntegerField(default=0)),
                ("progress", models.PositiveIntegerField(default=0)),
                ("created", models.PositiveIntegerField(default=0)),
                ("updated", models.PositiveIntegerField(default=0)),
                ("skipped", models.PositiveIntegerField(default=0)),
                ("errors", models.PositiveIntegerField(default=0)),
                ("flagged", models.PositiveIntegerField(default=0)),
                ("failure", models.CharField(blank=True, default="", max_length=32)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="uploaded")),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "requested_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="imported by",
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
                ("touched_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "import",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["workspace", "-created_at", "-id"], name="import_recent"),
                    models.Index(fields=["status", "created_at"], name="import_status"),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="ImportRow",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("number", models.PositiveIntegerField()),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("create", "Create"),
                            ("update", "Update"),
                            ("skip", "Skip"),
                            ("error", "Error"),
                        ],
                        max_length=8,
                    ),
                ),
                ("code", models.CharField(blank=True, default="", max_length=40)),
                ("field", models.CharField(blank=True, default="", max_length=40)),
                ("object_id", models.UUIDField(blank=True, null=True)),
                ("suppressed", models.BooleanField(default=False)),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rows",
                        to="imports.import",
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
                "ordering": ["job", "number"],
                "indexes": [models.Index(fields=["job", "number"], name="import_row_number")],
                "constraints": [],
            },
        ),
    ]
