# Squashed (docs/architecture.md, Migrations): each model of the app is created
# once in its final state, indexes and constraints included, and the data steps
# of the replaced chain run last. A fresh database applies this file only; one
# that ran the old chain records it as applied and runs nothing.

import uuid

import django.db.migrations.operations.special
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import terabox_crm.crypto.fields

# Copied from 0002_initial_versions; it may run after the models, as the later
# migrations changed only PolicyVersion's options.


def load(apps, schema_editor):
    from terabox_crm.policies.initial import ensure_initial_versions

    ensure_initial_versions(apps.get_model("policies", "PolicyVersion"))


class Migration(migrations.Migration):
    replaces = [
        ("policies", "0001_initial"),
        ("policies", "0002_initial_versions"),
        ("policies", "0003_acceptance_and_notices"),
        ("policies", "0004_notice_once_per_address"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PolicyVersion",
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
                        choices=[("privacy", "Privacy policy"), ("security", "Security policy")],
                        max_length=16,
                        verbose_name="policy",
                    ),
                ),
                ("number", models.PositiveIntegerField(verbose_name="version")),
                ("effective_at", models.DateTimeField(verbose_name="takes effect")),
                (
                    "published_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="published"),
                ),
                ("body_ja", models.TextField(verbose_name="text (Japanese)")),
                ("body_en", models.TextField(verbose_name="text (English)")),
                (
                    "summary_ja",
                    models.TextField(
                        blank=True, default="", verbose_name="what changed (Japanese)"
                    ),
                ),
                (
                    "summary_en",
                    models.TextField(blank=True, default="", verbose_name="what changed (English)"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["kind", "-number"],
                "indexes": [
                    models.Index(
                        fields=["kind", "effective_at"], name="policies_po_kind_43f74b_idx"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "number"), name="policies_version_kind_number"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("number__gte", 1)),
                        name="policies_version_number_positive",
                    ),
                ],
                "verbose_name": "policy version",
                "verbose_name_plural": "policy versions",
            },
        ),
        migrations.CreateModel(
            name="NoticeDispatch",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("audience", models.CharField(max_length=64, verbose_name="audience")),
                (
                    "status",
                    models.CharField(
                        choices=[("sending", "Sending"), ("done", "Sent")],
                        default="sending",
                        max_length=16,
                    ),
                ),
                ("cursor", models.CharField(blank=True, default="", max_length=64)),
                ("recipients", models.PositiveIntegerField(default=0, verbose_name="recipients")),
                (
                    "started_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="started"),
                ),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished"),
                ),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dispatches",
                        to="policies.policyversion",
                    ),
                ),
            ],
            options={
                "verbose_name": "policy change notice",
                "verbose_name_plural": "policy change notices",
                "ordering": ["-started_at"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("version", "audience"), name="policies_dispatch_once_per_audience"
                    )
                ],
                "indexes": [],
            },
        ),
        migrations.CreateModel(
            name="PolicyAcceptance",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "accepted_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="accepted"
                    ),
                ),
                (
                    "ip",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="IP address"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="policy_acceptances",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="acceptances",
                        to="policies.policyversion",
                    ),
                ),
            ],
            options={
                "verbose_name": "policy acceptance",
                "verbose_name_plural": "policy acceptances",
                "ordering": ["-accepted_at"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "version"), name="policies_acceptance_once"
                    )
                ],
                "indexes": [],
            },
        ),
        migrations.CreateModel(
            name="NoticeRecipient",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("address_index", models.CharField(max_length=64)),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="policies.policyversion",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("version", "address_index"), name="policies_notice_once_per_address"
                    )
                ],
                "indexes": [],
            },
        ),
        migrations.RunPython(
            code=load,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
        ),
    ]
