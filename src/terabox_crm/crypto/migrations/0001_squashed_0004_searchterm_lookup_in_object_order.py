# Squashed (docs/architecture.md, Migrations): each model of the app is created
# once in its final state, indexes and constraints included, and the data steps
# of the replaced chain run last. A fresh database applies this file only; one
# that ran the old chain records it as applied and runs nothing.

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [
        ("crypto", "0001_initial"),
        ("crypto", "0002_searchterm"),
        ("crypto", "0003_rotationjob"),
        ("crypto", "0004_searchterm_lookup_in_object_order"),
    ]

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="DataKey",
            fields=[
                ("key_id", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("scope", models.CharField(db_index=True, max_length=64)),
                (
                    "purpose",
                    models.CharField(
                        choices=[("encryption", "Encryption"), ("index", "Index")], max_length=16
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("active", "Active"),
                            ("decrypt-only", "Decrypt Only"),
                            ("destroyed", "Destroyed"),
                        ],
                        default="active",
                        max_length=16,
                    ),
                ),
                ("wrapped", models.BinaryField(null=True)),
                ("kek_id", models.CharField(max_length=32)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("destroyed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["scope", "purpose", "status"], name="crypto_data_scope_9f4874_idx"
                    )
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("workspace_id", models.UUIDField()),
                ("domain", models.CharField(max_length=64)),
                ("term", models.BigIntegerField()),
                ("object_id", models.UUIDField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["workspace_id", "object_id"], name="search_term_object"),
                    models.Index(
                        fields=["workspace_id", "domain", "term", "object_id"],
                        name="search_term_lookup",
                    ),
                ],
                "constraints": [],
            },
        ),
        migrations.CreateModel(
            name="RotationJob",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("scope", models.CharField(db_index=True, max_length=64)),
                (
                    "state",
                    models.CharField(
                        choices=[("running", "Running"), ("done", "Done"), ("failed", "Failed")],
                        default="running",
                        max_length=16,
                    ),
                ),
                ("new_key_id", models.CharField(max_length=32)),
                ("old_key_ids", models.JSONField(default=list)),
                ("progress", models.JSONField(default=dict)),
                ("rows_done", models.PositiveBigIntegerField(default=0)),
                ("rows_skipped", models.PositiveBigIntegerField(default=0)),
                ("batches", models.PositiveIntegerField(default=0)),
                ("unreadable", models.JSONField(default=list)),
                ("error", models.CharField(blank=True, max_length=200)),
                ("started_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["scope", "state"], name="crypto_rota_scope_9ef0f5_idx")
                ],
                "constraints": [],
            },
        ),
    ]
