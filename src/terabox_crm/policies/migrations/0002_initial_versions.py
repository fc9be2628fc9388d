from django.db import migrations


def load(apps, schema_editor):
    from terabox_crm.policies.initial import ensure_initial_versions

    ensure_initial_versions(apps.get_model("policies", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
