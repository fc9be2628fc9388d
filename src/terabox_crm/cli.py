"""The ``terabox-crm`` command."""

from __future__ import annotations

import os
import sys


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terabox_crm.settings")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["manage"]:
        _setup_django()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["terabox-crm manage", *argv[1:]])
        return 0
    print(
        "usage: terabox-crm {serve,createowner,token,worker,backup,audit,keys,retention,security,manage} ..."
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
