"""Django's ``flush``, able to empty the append-only audit tables.

``flush`` deletes every row of every table; the append-only triggers would
refuse it for the audit tables. Test runs (pytest-django's
``transactional_db`` flushes after each test) and wiping a demo database need
it, so outside production the flush statements run inside the audit
maintenance window. In production (``CRM_ENV=production``) the triggers keep
refusing: an audit trail is not wiped by a management command
(docs/decisions/0001-audit-chain.md).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.commands import flush
from django.db import connections

from terabox_crm.audit.maintenance import maintenance_window


class Command(flush.Command):
    help = flush.Command.help + " Outside production, audit tables are emptied as well."

    def handle(self, **options):
        if settings.PRODUCTION:
            return super().handle(**options)
        ops = connections[options["database"]].ops
        original = ops.execute_sql_flush

        # Wrap only the flush statements, not the interactive confirmation: an
        # open window is an open transaction (on SQLite, the write lock).
        def execute_sql_flush(sql_list):
            with maintenance_window(reason="flush", using=ops.connection.alias):
                original(sql_list)

        ops.execute_sql_flush = execute_sql_flush
        try:
            return super().handle(**options)
        finally:
            del ops.execute_sql_flush
