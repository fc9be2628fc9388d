"""Foreign ids for the accounts URL parameters (see testing/cross_workspace.py).

Account URLs act on the signed-in user's own account; a session id of
somebody else (here the other workspace's owner) must be a 404.
"""

from __future__ import annotations

from django.test import Client

from terabox_crm.accounts.models import UserSession
from terabox_crm.testing.cross_workspace import ForeignId, param, public

FOREIGN_SESSION_IP = "192.0.2.231"

public(
    "accounts:confirm_email",
    "the token is the credential; tested in accounts/tests/test_step_up.py "
    "(expired, reused and valid links)",
)
public(
    "accounts:signed_out",
    "the token is a one-time link to the page after a sign-out; tested in "
    "accounts/tests/test_sign_out.py",
)
public(
    "accounts:password_reset_confirm",
    "uid + token are the credential; tested in accounts/tests/test_password_reset.py",
)


@param("session_id")
def foreign_session(foreign) -> ForeignId:
    Client(REMOTE_ADDR=FOREIGN_SESSION_IP).force_login(foreign.owner)
    row = UserSession.objects.filter(user=foreign.owner).latest("created_at")
    row.ip = FOREIGN_SESSION_IP
    row.save(update_fields=["ip"])
    return ForeignId(row.pk, identifying=(FOREIGN_SESSION_IP,))
