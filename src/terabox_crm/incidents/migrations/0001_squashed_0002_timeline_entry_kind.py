# Squashed (docs/architecture.md, Migrations): each model of the app is created
# once in its final state, indexes and constraints included, and the data steps
# of the replaced chain run last. A fresh database applies this file only; one
# that ran the old chain records it as applied and runs nothing.

import django.db.models.deletion
import django.utils.timezone
import terabox_crm.crypto.fields
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("incidents", "0001_initial"), ("incidents", "0002_timeline_entry_kind")]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("core", "0006_evidence"),
    ]

    operations = [
        migrations.CreateModel(
            name="Incident",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("number", models.PositiveIntegerField(verbose_name="number")),
                ("title", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="title")),
                (
                    "description",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="what happened"
                    ),
                ),
                (
                    "severity",
                    models.CharField(
                        choices=[
                            ("low", "Low"),
                            ("medium", "Medium"),
                            ("high", "High"),
                            ("critical", "Critical"),
                        ],
                        default="high",
                        max_length=10,
                        verbose_name="severity",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("open", "Investigating"),
                            ("contained", "Contained"),
                            ("closed", "Closed"),
                        ],
                        default="draft",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "detected_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="detected at"
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("account", "A user account"),
                            ("token", "An API token"),
                            ("other", "Something else"),
                        ],
                        default="account",
                        max_length=10,
                        verbose_name="compromised",
                    ),
                ),
                ("window_start", models.DateTimeField(blank=True, null=True, verbose_name="from")),
                ("window_end", models.DateTimeField(blank=True, null=True, verbose_name="until")),
                (
                    "data_categories",
                    models.JSONField(blank=True, default=list, verbose_name="categories of data"),
                ),
                (
                    "systems_affected",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="systems affected"
                    ),
                ),
                (
                    "actions_taken",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="actions taken"
                    ),
                ),
                (
                    "cause",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="cause"
                    ),
                ),
                (
                    "secondary_risk",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="risk of secondary damage"
                    ),
                ),
                (
                    "measures",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="measures to prevent recurrence"
                    ),
                ),
                (
                    "malicious",
                    models.BooleanField(
                        default=False,
                        verbose_name="caused with malicious intent (unauthorised access, theft)",
                    ),
                ),
                (
                    "appi_applies",
                    models.BooleanField(default=True, verbose_name="report to the PPC (APPI)"),
                ),
                (
                    "gdpr_applies",
                    models.BooleanField(
                        default=True, verbose_name="report to the supervisory authority (GDPR)"
                    ),
                ),
                (
                    "preliminary_days",
                    models.PositiveSmallIntegerField(
                        default=3, verbose_name="days for the preliminary report"
                    ),
                ),
                ("preliminary_reported_at", models.DateTimeField(blank=True, null=True)),
                ("final_reported_at", models.DateTimeField(blank=True, null=True)),
                ("gdpr_reported_at", models.DateTimeField(blank=True, null=True)),
                ("reminders", models.JSONField(blank=True, default=dict)),
                ("affected_computed_at", models.DateTimeField(blank=True, null=True)),
                ("notified_at", models.DateTimeField(blank=True, null=True)),
                ("notice_title_ja", models.CharField(blank=True, default="", max_length=200)),
                ("notice_title_en", models.CharField(blank=True, default="", max_length=200)),
                ("notice_body_ja", models.TextField(blank=True, default="")),
                ("notice_body_en", models.TextField(blank=True, default="")),
                ("notice_published_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="handled by",
                    ),
                ),
                (
                    "source_user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="compromised account",
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
                "verbose_name": "incident",
                "ordering": ["-detected_at", "-number"],
                "indexes": [models.Index(fields=["status", "detected_at"], name="incident_open")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("workspace", "number"), name="incident_number_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AffectedItem",
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
                            ("person", "Person (contact)"),
                            ("user", "User"),
                            ("record", "Record"),
                        ],
                        max_length=8,
                    ),
                ),
                ("object_type", models.CharField(max_length=64)),
                ("object_id", models.CharField(max_length=64)),
                ("events", models.PositiveIntegerField(default=0)),
                ("first_at", models.DateTimeField()),
                ("last_at", models.DateTimeField()),
                (
                    "decision",
                    models.CharField(
                        choices=[
                            ("pending", "To review"),
                            ("included", "Included"),
                            ("excluded", "Excluded"),
                        ],
                        default="pending",
                        max_length=8,
                    ),
                ),
                ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
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
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="affected",
                        to="incidents.incident",
                    ),
                ),
            ],
            options={
                "ordering": ["kind", "-events", "object_id"],
                "indexes": [],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("incident", "object_type", "object_id"),
                        name="incident_affected_unique",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Delivery",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[("email", "Email"), ("in_app", "In-app notice")], max_length=8
                    ),
                ),
                ("language", models.CharField(blank=True, default="", max_length=8)),
                ("outbox_id", models.UUIDField(blank=True, null=True)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("sent", "Delivered"),
                            ("failed", "Failed"),
                            ("refused", "Not sent"),
                        ],
                        default="queued",
                        max_length=8,
                    ),
                ),
                ("reason", models.CharField(blank=True, default="", max_length=32)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="incidents.affecteditem",
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
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="incidents.incident",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("incident", "item", "channel"), name="incident_delivery_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="TimelineEntry",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="when"),
                ),
                ("text", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="entry")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "author",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="timeline",
                        to="incidents.incident",
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
                ("kind", models.CharField(blank=True, default="", max_length=32)),
            ],
            options={
                "verbose_name": "timeline entry",
                "ordering": ["at", "created_at"],
                "indexes": [],
                "constraints": [],
            },
        ),
    ]
