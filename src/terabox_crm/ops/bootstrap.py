"""Make a data dir usable by any command: Django set up, migrations applied.

Every CLI command works on a fresh data dir (``createowner`` before any
``serve``), so each calls ``prepare()`` first; it is cheap when there is
nothing to migrate.

Files the product creates (the SQLite databases, the job queue, mail kept
without SMTP, backups) are readable by the service user only: the umask is
set before anything is opened. Keys and TLS files are 0600 in 0700
directories regardless (``datadir.write_private_file``).
"""

from __future__ import annotations

import os

PRIVATE_UMASK = 0o077


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terabox_crm.settings")
    import django

    django.setup()


def terminal_language() -> str:
    """The language of the terminal's messages: ``LC_ALL``/``LC_MESSAGES``/``LANG``
    starting with ``ja`` → Japanese, else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def prepare(*, verbosity: int = 0) -> None:
    os.umask(PRIVATE_UMASK)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
