"""``terabox-crm createowner --email E --workspace NAME``: a workspace and its first owner.

Works on a fresh data dir (it migrates first, ``ops.bootstrap.prepare``). The
password comes from ``CRM_PASSWORD`` or is asked twice on the terminal, and
follows the same policy as the web screens. When the email already has an
account, that account becomes the owner of the new workspace only if the
password given is its password: the command never takes over an account.
Workspace names need not be unique (the slug is made unique).

Messages follow the terminal's language (``LC_ALL``/``LC_MESSAGES``/``LANG``
starting with ``ja`` → Japanese, else English). Exit status: 0 done, 1 refused
(the reason is printed), 2 usage error.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from terabox_crm.ops.bootstrap import prepare, terminal_language


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terabox-crm createowner",
        description="Create a workspace and its first owner. "
        "The password is read from CRM_PASSWORD or asked for twice.",
    )
    parser.add_argument("--email", required=True, help="the owner's sign-in email")
    parser.add_argument("--workspace", required=True, help="the new workspace's name")
    return parser


def _read_password() -> str | None:
    from django.utils.translation import gettext as _

    password = os.environ.get("CRM_PASSWORD")
    if password:
        return password
    first = getpass.getpass(_("Password: "))
    second = getpass.getpass(_("Password (again): "))
    if first != second:
        print(_("The two passwords are not the same."), file=sys.stderr)
        return None
    return first


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)  # exits with status 2 on a usage error

    prepare()

    from django.core.exceptions import ValidationError
    from django.utils import translation
    from django.utils.translation import gettext as _

    from terabox_crm.context import system_context
    from terabox_crm.ops import owners
    from terabox_crm.refusals import Refusal

    with translation.override(terminal_language()):
        password = _read_password()
        if not password:
            if password is not None:
                print(_("A password is required."), file=sys.stderr)
            return 1
        try:
            with system_context("cli"):
                created = owners.owner_create(
                    email=args.email, workspace_name=args.workspace, password=password
                )
        except Refusal as exc:
            print(_("Error: %(reason)s") % {"reason": exc.text}, file=sys.stderr)
            return 1
        except ValidationError as exc:  # the password policy
            for message in exc.messages:
                print(_("Error: %(reason)s") % {"reason": message}, file=sys.stderr)
            return 1
        if created.new_user:
            message = _(
                'Created the workspace "%(workspace)s" and its owner %(email)s. '
                "Sign in and set up two-factor authentication."
            )
        else:
            message = _(
                'Created the workspace "%(workspace)s" with the existing account %(email)s as its owner.'
            )
        print(message % {"workspace": created.workspace.name, "email": created.user.email})
    return 0
