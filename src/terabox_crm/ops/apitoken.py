"""``terabox-crm token --email E --workspace NAME``: print a new personal API token.

Options: ``--scopes read,write,export`` (default ``read``), ``--name N``
(default 「コマンドラインで作成したトークン」 / "Command-line token", in the
user's own language: the name is shown on their API tokens page), ``--days D`` (default 90, at most 365). The workspace
is given by name or slug. The ``privacy`` scope (erasure, P8) is refused
here: it needs a step-up (S4), so a privacy officer creates such a token on
the API tokens page. Works on a fresh data dir (``prepare()`` migrates
first). Only the token goes to standard output, so ``$(terabox-crm token …)``
captures it; messages go to standard error in the terminal's language.

Exit status: 0 printed, 1 refused (unknown user or workspace, not a member,
bad scopes or lifetime), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys

from terabox_crm.ops.bootstrap import prepare, terminal_language


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terabox-crm token",
        description="Create a personal API token for a member of a workspace and print it.",
    )
    parser.add_argument("--email", required=True, help="the member's sign-in email")
    parser.add_argument("--workspace", required=True, help="the workspace's name or slug")
    parser.add_argument("--scopes", default="read", help="comma-separated: read,write,export")
    parser.add_argument("--name", default=None, help="a label for the token")
    parser.add_argument("--days", type=int, default=90, help="lifetime in days (1-365)")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)  # exits with status 2 on a usage error

    prepare()

    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.db.models import Q
    from django.utils import translation
    from django.utils.translation import gettext as _
    from django_scopes import scopes_disabled

    from terabox_crm.accounts.models import User, email_index_of
    from terabox_crm.api import services
    from terabox_crm.context import system_context
    from terabox_crm.core.models import Workspace
    from terabox_crm.core.selectors import membership_in

    with translation.override(terminal_language()):

        def refuse(message: str) -> int:
            print(_("Error: %(reason)s") % {"reason": message}, file=sys.stderr)
            return 1

        user = User.objects.filter(email_index=email_index_of(args.email)).first()
        if user is None or not user.is_active:
            return refuse(_("No account has this email address."))
        with scopes_disabled():
            found = list(
                Workspace.objects.filter(Q(name=args.workspace) | Q(slug=args.workspace))[:2]
            )
        if not found:
            return refuse(_("No workspace has this name."))
        if len(found) > 1:
            return refuse(_("Several workspaces have this name; give the workspace's slug."))
        membership = membership_in(found[0], user)
        if membership is None:
            return refuse(_("This account is not a member of the workspace."))
        name = args.name
        if name is None:
            # Shown on the user's API tokens page: in their language, not the terminal's.
            with translation.override(user.language or settings.LANGUAGE_CODE):
                name = _("Command-line token")
        try:
            with system_context("cli"):
                created = services.token_create(
                    membership=membership,
                    name=name,
                    scopes=args.scopes,
                    days=args.days,
                )
        except ValidationError as exc:
            for message in exc.messages:
                refuse(message)
            return 1
        print(created.secret)
        print(
            _("Token %(prefix)s… for %(workspace)s, scopes %(scopes)s, expires %(expires)s.")
            % {
                "prefix": created.token.prefix,
                "workspace": found[0].name,
                "scopes": ",".join(created.token.scopes),
                "expires": created.token.expires_at.date().isoformat(),
            },
            file=sys.stderr,
        )
    return 0
