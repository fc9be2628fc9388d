# Squashed (docs/architecture.md, Migrations): each model of the app is created
# once in its final state, indexes and constraints included, and the data steps
# of the replaced chain run last. A fresh database applies this file only; one
# that ran the old chain records it as applied and runs nothing.

import django.db.models.deletion
from django.db import migrations, models

import terabox_crm.audit.hashing

# Copied from 0003_append_only_triggers.


def install(apps, schema_editor):
    from terabox_crm.audit import triggers

    triggers.install(schema_editor)


def uninstall(apps, schema_editor):
    from terabox_crm.audit import triggers

    triggers.uninstall(schema_editor)


class Migration(migrations.Migration):
    replaces = [
        ("audit", "0001_initial"),
        ("audit", "0002_signing_keys_and_checkpoints"),
        ("audit", "0003_append_only_triggers"),
        ("audit", "0004_object_history_index"),
    ]

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("chain", models.CharField(max_length=64)),
                ("seq", models.BigIntegerField()),
                ("created_at", models.DateTimeField()),
                ("workspace_id", models.UUIDField(blank=True, db_index=True, null=True)),
                ("actor_id", models.UUIDField(blank=True, db_index=True, null=True)),
                ("action", models.CharField(db_index=True, max_length=80)),
                ("object_type", models.CharField(blank=True, max_length=64)),
                ("object_id", models.CharField(blank=True, max_length=64)),
                ("request_id", models.CharField(blank=True, max_length=64)),
                ("channel", models.CharField(blank=True, max_length=16)),
                (
                    "payload",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=terabox_crm.audit.hashing.CanonicalJSONEncoder,
                    ),
                ),
                ("detail_digest", models.CharField(blank=True, max_length=64)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["chain", "-seq"], name="audit_chain_recent"),
                    models.Index(fields=["hash"], name="audit_event_hash"),
                    models.Index(fields=["chain", "object_id", "-seq"], name="audit_object_recent"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("chain", "seq"), name="audit_chain_seq_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("chain", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("chain", models.CharField(max_length=64)),
                ("seq", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
                ("key_id", models.CharField(max_length=32)),
                ("signature", models.CharField(max_length=128)),
            ],
            options={
                "indexes": [],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("chain", "seq"), name="audit_checkpoint_chain_seq"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SigningKey",
            fields=[
                ("key_id", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("public_key", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
                ("predecessors", models.JSONField(blank=True, default=list)),
                ("endorsement", models.CharField(max_length=128)),
            ],
            options={
                "ordering": ["created_at"],
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="AuditDetail",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="detail",
                        serialize=False,
                        to="audit.auditevent",
                    ),
                ),
                ("subject", models.CharField(db_index=True, max_length=80)),
                ("key_id", models.CharField(max_length=32)),
                ("ciphertext", models.TextField()),
            ],
            options={
                "indexes": [],
                "constraints": [],
            },
        ),
        migrations.RunPython(
            code=install,
            reverse_code=uninstall,
        ),
    ]
