"""Refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL) of audit rows in the
database itself; see terabox_crm/audit/triggers.py."""

from django.db import migrations


def install(apps, schema_editor):
    from terabox_crm.audit import triggers

    triggers.install(schema_editor)


def uninstall(apps, schema_editor):
    from terabox_crm.audit import triggers

    triggers.uninstall(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_signing_keys_and_checkpoints"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
