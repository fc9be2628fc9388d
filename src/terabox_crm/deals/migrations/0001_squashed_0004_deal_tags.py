# Squashed (docs/architecture.md, Migrations): each model of the app is created
# once in its final state, indexes and constraints included, and the data steps
# of the replaced chain run last. A fresh database applies this file only; one
# that ran the old chain records it as applied and runs nothing.
# Left out: 0002's RunPython since_last_change, an UPDATE of existing deals; it
# has no row to change here, as this file runs only where no deals table was.

import uuid
from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import terabox_crm.crypto.fields


class Migration(migrations.Migration):
    replaces = [
        ("deals", "0001_initial"),
        ("deals", "0002_close_reason_stage_entered"),
        ("deals", "0003_deal_anonymised_at"),
        ("deals", "0004_deal_tags"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contacts", "0005_source_web_form"),
        ("core", "0003_team_record_visibility"),
    ]

    operations = [
        migrations.CreateModel(
            name="Pipeline",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                ("position", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
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
                "verbose_name": "pipeline",
                "ordering": ["position", "created_at"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Stage",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=80, verbose_name="name")),
                ("position", models.PositiveIntegerField(default=0)),
                (
                    "kind",
                    models.CharField(
                        choices=[("open", "Open"), ("won", "Won"), ("lost", "Lost")],
                        default="open",
                        max_length=8,
                        verbose_name="kind",
                    ),
                ),
                (
                    "probability",
                    models.PositiveSmallIntegerField(
                        default=10,
                        validators=[django.core.validators.MaxValueValidator(100)],
                        verbose_name="probability (%)",
                    ),
                ),
                (
                    "pipeline",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="stages",
                        to="deals.pipeline",
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
                "verbose_name": "stage",
                "ordering": ["pipeline", "position"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Deal",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="name")),
                (
                    "amount",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=16,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="amount",
                    ),
                ),
                (
                    "currency",
                    models.CharField(
                        choices=[
                            ("JPY", "Japanese yen"),
                            ("USD", "US dollar"),
                            ("EUR", "Euro"),
                            ("GBP", "Pound sterling"),
                            ("CNY", "Chinese yuan"),
                            ("KRW", "Korean won"),
                            ("TWD", "New Taiwan dollar"),
                            ("HKD", "Hong Kong dollar"),
                            ("SGD", "Singapore dollar"),
                            ("AUD", "Australian dollar"),
                            ("CAD", "Canadian dollar"),
                            ("CHF", "Swiss franc"),
                            ("THB", "Thai baht"),
                            ("INR", "Indian rupee"),
                        ],
                        default="JPY",
                        max_length=3,
                        verbose_name="currency",
                    ),
                ),
                (
                    "expected_close_date",
                    models.DateField(blank=True, null=True, verbose_name="expected close date"),
                ),
                (
                    "probability",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        null=True,
                        validators=[django.core.validators.MaxValueValidator(100)],
                        verbose_name="probability (%)",
                    ),
                ),
                ("board_position", models.PositiveIntegerField(default=0)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "company",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="deals",
                        to="contacts.company",
                    ),
                ),
                (
                    "contact",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="deals",
                        to="contacts.contact",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="core.team",
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
                    "pipeline",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deals",
                        to="deals.pipeline",
                    ),
                ),
                (
                    "stage",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deals",
                        to="deals.stage",
                    ),
                ),
                (
                    "close_reason",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="won or lost reason"
                    ),
                ),
                (
                    "stage_entered_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="in stage since"),
                ),
                ("anonymised_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "tags",
                    models.ManyToManyField(
                        blank=True, related_name="deals", to="contacts.tag", verbose_name="tags"
                    ),
                ),
            ],
            options={
                "verbose_name": "deal",
                "ordering": ["-updated_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["workspace", "stage", "board_position"], name="deal_board"
                    ),
                    models.Index(fields=["workspace", "-updated_at", "-id"], name="deal_recent"),
                ],
                "constraints": [],
            },
        ),
    ]
