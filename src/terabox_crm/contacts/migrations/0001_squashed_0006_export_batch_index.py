# Squashed (docs/architecture.md, Migrations): each model of the app is created
# once in its final state, indexes and constraints included, and the data steps
# of the replaced chain run last. A fresh database applies this file only; one
# that ran the old chain records it as applied and runs nothing.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import terabox_crm.crypto.fields


class Migration(migrations.Migration):
    replaces = [
        ("contacts", "0001_initial"),
        ("contacts", "0002_list_indexes"),
        ("contacts", "0003_channel_lookup_indexes"),
        ("contacts", "0004_no_lone_time_indexes"),
        ("contacts", "0005_source_web_form"),
        ("contacts", "0006_export_batch_index"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("core", "0006_evidence"),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedView",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=80, verbose_name="name")),
                ("filters", models.JSONField(default=dict)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
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
            ],
            options={
                "ordering": ["name"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Tag",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=60, verbose_name="name")),
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
                "ordering": ["name"],
                "indexes": [],
                "constraints": [
                    models.UniqueConstraint(fields=("workspace", "name"), name="tag_name_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="Company",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="name")),
                (
                    "name_kana",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="name reading (kana)"
                    ),
                ),
                (
                    "website",
                    models.CharField(
                        blank=True, default="", max_length=200, verbose_name="website"
                    ),
                ),
                (
                    "phone",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="phone"
                    ),
                ),
                (
                    "postal_code",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="postal code"
                    ),
                ),
                (
                    "region",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="prefecture or region"
                    ),
                ),
                (
                    "city",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="city"
                    ),
                ),
                (
                    "street",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="street address"
                    ),
                ),
                (
                    "industry",
                    models.CharField(
                        blank=True, default="", max_length=80, verbose_name="industry"
                    ),
                ),
                (
                    "notes",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="notes"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
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
                        verbose_name="team",
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
                    "tags",
                    models.ManyToManyField(
                        blank=True, related_name="companies", to="contacts.tag", verbose_name="tags"
                    ),
                ),
            ],
            options={
                "verbose_name": "company",
                "verbose_name_plural": "companies",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["workspace", "-created_at", "-id"], name="company_recent"),
                    models.Index(
                        fields=["workspace", "-updated_at", "-id"], name="company_updated"
                    ),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Contact",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "family_name",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="family name"
                    ),
                ),
                (
                    "given_name",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="given name"
                    ),
                ),
                (
                    "family_name_kana",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="family name reading (kana)"
                    ),
                ),
                (
                    "given_name_kana",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="given name reading (kana)"
                    ),
                ),
                (
                    "job_title",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="job title"
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("lead", "Lead"),
                            ("prospect", "Prospect"),
                            ("customer", "Customer"),
                            ("churned", "Churned"),
                        ],
                        default="lead",
                        max_length=16,
                        verbose_name="lifecycle stage",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("direct", "Entered directly"),
                            ("web_form", "Web form"),
                            ("import", "Imported"),
                            ("third_party", "From a third party"),
                        ],
                        default="direct",
                        max_length=16,
                        verbose_name="source",
                    ),
                ),
                (
                    "source_detail",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="source detail"
                    ),
                ),
                (
                    "notes",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="notes"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "company",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="contacts",
                        to="contacts.company",
                        verbose_name="company",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
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
                        verbose_name="team",
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
                    "tags",
                    models.ManyToManyField(
                        blank=True, related_name="contacts", to="contacts.tag", verbose_name="tags"
                    ),
                ),
            ],
            options={
                "verbose_name": "contact",
                "verbose_name_plural": "contacts",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["workspace", "-created_at", "-id"], name="contact_recent"),
                    models.Index(
                        fields=["workspace", "-updated_at", "-id"], name="contact_updated"
                    ),
                    models.Index(fields=["workspace", "id"], name="contact_workspace_id"),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="ContactEmail",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("value", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="email")),
                (
                    "label",
                    models.CharField(blank=True, default="", max_length=30, verbose_name="label"),
                ),
                ("is_primary", models.BooleanField(default=False, verbose_name="primary")),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="emails",
                        to="contacts.contact",
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
                "ordering": ["-is_primary", "id"],
                "indexes": [
                    models.Index(fields=["workspace", "contact"], name="contactemail_of_contact")
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="ContactPhone",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("value", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="phone")),
                (
                    "label",
                    models.CharField(blank=True, default="", max_length=30, verbose_name="label"),
                ),
                ("is_primary", models.BooleanField(default=False, verbose_name="primary")),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="phones",
                        to="contacts.contact",
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
                "ordering": ["-is_primary", "id"],
                "indexes": [
                    models.Index(fields=["workspace", "contact"], name="contactphone_of_contact")
                ],
                "constraints": [],
            },
        ),
    ]
