"""Make a data dir usable by any command: Django set up, migrations applied.

Every CLI command works on a fresh data dir (``createowner`` before any
``serve``), so each calls ``prepare()`` first; it is cheap when there is
nothing to migrate.
"""

from __future__ import annotations

from terabox_crm.cli import setup_django


def prepare(*, verbosity: int = 0) -> None:
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
