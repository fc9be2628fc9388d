# Prefix typeahead on names: a workspace option, off by default (S3, ADR 0005).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_team_record_visibility"),
    ]

    operations = [
        migrations.AddField(
            model_name="workspace",
            name="name_prefix_search",
            field=models.BooleanField(default=False, verbose_name="prefix search on names"),
        ),
        migrations.AddField(
            model_name="workspace",
            name="name_prefix_progress",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="workspace",
            name="name_prefix_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
