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
import terabox_crm.privacy.models

# Copied from 0002_builtin_purposes (P2); runs after the models: workspaces that
# existed before privacy was installed get the built-in purposes.

BUILTIN = (
    # code, basis, name ja, name en, description ja, description en
    (
        "support",
        "contract",
        "製品・サービスのサポート",
        "Product and service support",
        "お問い合わせやご依頼への対応、製品・サービスの提供と保守のため。",
        "To answer enquiries and requests and to provide and maintain the products and services.",
    ),
    (
        "communication",
        "consent",
        "業務上の連絡・顧客対応",
        "Business and customer-service communication",
        "取引上のご連絡、ご案内、顧客対応のため。",
        "To contact customers about business, offers and customer service.",
    ),
    (
        "notices",
        "legitimate_interest",
        "サービスに関するお知らせ",
        "Service notices",
        "サービスの変更、規約・ポリシーの改定、メンテナンスなどをお知らせするため。",
        "To announce changes to the service, its terms and policies, and maintenance.",
    ),
    (
        "statistics",
        "consent",
        "統計・サービス改善",
        "Statistics and improvement",
        "個人を特定しない統計の作成と、サービスの改善のため。",
        "To build statistics that identify no one and to improve the service.",
    ),
    (
        "security",
        "legitimate_interest",
        "サービスと利用者の安全確保",
        "Security of the service and its users",
        "不正アクセスや不正利用を防ぎ、調査するため。",
        "To prevent and investigate unauthorised access and misuse.",
    ),
    (
        "legal",
        "legal_obligation",
        "法令上の義務の履行",
        "Legal obligations",
        "法令に基づく記録の保存や、官公庁からの要請に対応するため。",
        "To keep records the law requires and to answer lawful requests from authorities.",
    ),
)


def add_builtin(apps, schema_editor):
    Workspace = apps.get_model("core", "Workspace")
    Purpose = apps.get_model("privacy", "Purpose")
    for workspace_id in Workspace.objects.values_list("pk", flat=True).iterator():
        have = set(Purpose.objects.filter(workspace_id=workspace_id).values_list("code", flat=True))
        Purpose.objects.bulk_create(
            [
                Purpose(
                    workspace_id=workspace_id,
                    code=code,
                    lawful_basis=basis,
                    name_ja=name_ja,
                    name_en=name_en,
                    description_ja=description_ja,
                    description_en=description_en,
                    builtin=True,
                )
                for code, basis, name_ja, name_en, description_ja, description_en in BUILTIN
                if code not in have
            ]
        )


class Migration(migrations.Migration):
    replaces = [
        ("privacy", "0001_initial"),
        ("privacy", "0002_builtin_purposes"),
        ("privacy", "0003_consent_policy_version"),
        ("privacy", "0004_provision_purpose"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("core", "0004_workspace_name_prefix_search"),
        ("policies", "0002_initial_versions"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProvisionRecord",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "recipient",
                    terabox_crm.crypto.fields.EncryptedTextField(verbose_name="recipient"),
                ),
                (
                    "provided_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="provided at"
                    ),
                ),
                ("categories", models.JSONField(default=list, verbose_name="categories")),
                (
                    "channel",
                    models.CharField(
                        choices=[("webhook", "Webhook"), ("export", "Export")],
                        max_length=10,
                        verbose_name="channel",
                    ),
                ),
                ("reference", models.CharField(blank=True, default="", max_length=64)),
                ("subject_count", models.PositiveIntegerField(default=0)),
                (
                    "keep_until",
                    models.DateTimeField(default=terabox_crm.privacy.models._keep_until),
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
                    "purpose",
                    models.CharField(blank=True, default="", max_length=40, verbose_name="purpose"),
                ),
            ],
            options={
                "verbose_name": "provision record",
                "ordering": ["-provided_at"],
                "indexes": [
                    models.Index(fields=["workspace", "provided_at"], name="privacy_provision_list")
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Purpose",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("code", models.SlugField(max_length=40, verbose_name="code")),
                ("name_ja", models.CharField(max_length=100, verbose_name="name (Japanese)")),
                ("name_en", models.CharField(max_length=100, verbose_name="name (English)")),
                (
                    "description_ja",
                    models.TextField(blank=True, default="", verbose_name="description (Japanese)"),
                ),
                (
                    "description_en",
                    models.TextField(blank=True, default="", verbose_name="description (English)"),
                ),
                (
                    "lawful_basis",
                    models.CharField(
                        choices=[
                            ("consent", "Consent"),
                            ("contract", "Contract"),
                            ("legitimate_interest", "Legitimate interest"),
                            ("legal_obligation", "Legal obligation"),
                        ],
                        max_length=24,
                        verbose_name="lawful basis",
                    ),
                ),
                ("builtin", models.BooleanField(default=False, verbose_name="built in")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
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
                "verbose_name": "purpose",
                "ordering": ["-builtin", "created_at", "code"],
                "indexes": [],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("workspace", "code"), name="privacy_purpose_code"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Restriction",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("subject_id", models.UUIDField()),
                ("reason", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="reason")),
                (
                    "requested_by",
                    terabox_crm.crypto.fields.EncryptedTextField(verbose_name="asked by"),
                ),
                ("set_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                (
                    "lift_reason",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="reason for lifting"
                    ),
                ),
                (
                    "lifted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "set_by",
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
            ],
            options={
                "verbose_name": "restriction of use",
                "ordering": ["-set_at"],
                "indexes": [
                    models.Index(
                        fields=["workspace", "subject_id"], name="privacy_restriction_subject"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("lifted_at__isnull", True)),
                        fields=("workspace", "subject_id"),
                        name="privacy_one_active_restriction",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ThirdPartyReceipt",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("subject_id", models.UUIDField()),
                ("provider", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="provider")),
                ("received_on", models.DateField(verbose_name="received on")),
                ("categories", models.JSONField(default=list, verbose_name="categories")),
                (
                    "obtained_how",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        verbose_name="how the provider obtained it"
                    ),
                ),
                (
                    "consent_by",
                    terabox_crm.crypto.fields.EncryptedTextField(verbose_name="consent given by"),
                ),
                ("consent_at", models.DateField(verbose_name="consent given on")),
                (
                    "consent_evidence",
                    terabox_crm.crypto.fields.EncryptedTextField(verbose_name="consent evidence"),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "keep_until",
                    models.DateTimeField(default=terabox_crm.privacy.models._keep_until),
                ),
                (
                    "recorded_by",
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
            ],
            options={
                "verbose_name": "third-party receipt record",
                "ordering": ["-created_at"],
                "indexes": [
                    models.Index(
                        fields=["workspace", "subject_id"], name="privacy_receipt_subject"
                    ),
                    models.Index(fields=["workspace", "created_at"], name="privacy_receipt_list"),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="ConsentEvent",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("subject_id", models.UUIDField()),
                (
                    "kind",
                    models.CharField(
                        choices=[("grant", "Granted"), ("withdraw", "Withdrawn")],
                        max_length=8,
                        verbose_name="event",
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("web_form", "Web form"),
                            ("email", "Email"),
                            ("phone", "Phone"),
                            ("in_person", "In person"),
                            ("import", "Import"),
                            ("api", "API"),
                        ],
                        max_length=12,
                        verbose_name="channel",
                    ),
                ),
                ("occurred_at", models.DateTimeField(verbose_name="when")),
                ("recorded_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "evidence",
                    terabox_crm.crypto.fields.EncryptedTextField(
                        blank=True, default="", verbose_name="evidence"
                    ),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
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
                    "purpose",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="privacy.purpose",
                        verbose_name="purpose",
                    ),
                ),
                (
                    "policy_version",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="policies.policyversion",
                        verbose_name="privacy policy version",
                    ),
                ),
            ],
            options={
                "verbose_name": "consent event",
                "ordering": ["-occurred_at", "-recorded_at"],
                "indexes": [
                    models.Index(
                        fields=["workspace", "purpose", "subject_id", "occurred_at"],
                        name="privacy_consent_state",
                    ),
                    models.Index(
                        fields=["workspace", "subject_id"], name="privacy_consent_subject"
                    ),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="ProvisionSubject",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("subject_id", models.UUIDField()),
                (
                    "record",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="subjects",
                        to="privacy.provisionrecord",
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
                "indexes": [
                    models.Index(
                        fields=["workspace", "subject_id"], name="privacy_provision_subject"
                    )
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="ConsentEvidenceFile",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="file name")),
                ("content_type", models.CharField(max_length=40)),
                ("size", models.PositiveIntegerField()),
                ("content", terabox_crm.crypto.fields.EncryptedTextField(verbose_name="file")),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="file",
                        to="privacy.consentevent",
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
                "abstract": False,
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.RunPython(
            code=add_builtin,
            reverse_code=django.db.migrations.operations.special.RunPython.noop,
        ),
    ]
