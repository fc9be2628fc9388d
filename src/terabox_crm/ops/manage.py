"""``terabox-crm manage ARGS…``: Django's management commands."""

from __future__ import annotations

from terabox_crm.ops.bootstrap import setup_django


def main(argv: list[str]) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["terabox-crm manage", *argv])
    return 0
