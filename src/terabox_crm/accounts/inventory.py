"""Personal-data inventory of user accounts (P1)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

personal(
    "accounts.User",
    "email",
    category=Category.CONTACT,
    purposes=(Purpose.SUPPORT, Purpose.SECURITY, Purpose.NOTICES),
    retention="account",
    note=_("sign-in address; found through a keyed hash (blind index)"),
)
personal(
    "accounts.User",
    "display_name",
    category=Category.IDENTITY,
    purposes=(Purpose.SUPPORT, Purpose.COMMUNICATION),
    retention="account",
)
personal(
    "accounts.User",
    "password",
    category=Category.CREDENTIALS,
    purposes=(Purpose.SECURITY,),
    retention="account",
    encrypted=False,
    note=_("one-way Argon2id hash, never the password"),
)
personal(
    "accounts.TOTPDevice",
    "secret",
    category=Category.CREDENTIALS,
    purposes=(Purpose.SECURITY,),
    retention="account",
)
personal(
    "accounts.Device",
    "user_agent",
    category=Category.DEVICE,
    purposes=(Purpose.SECURITY,),
    retention="device",
)
personal(
    "accounts.UserSession",
    "ip",
    category=Category.DEVICE,
    purposes=(Purpose.SECURITY,),
    retention="session",
)
personal(
    "accounts.UserSession",
    "user_agent",
    category=Category.DEVICE,
    purposes=(Purpose.SECURITY,),
    retention="session",
)
personal(
    "accounts.EmailChange",
    "new_email",
    category=Category.CONTACT,
    purposes=(Purpose.SECURITY,),
    retention="invitation",
    note=_("the address being confirmed, until the link is used or expires"),
)
non_personal("accounts.User", "email_index", why="keyed hash of the email (blind index)")
non_personal("accounts.User", "language", why="interface language code")
non_personal("accounts.RecoveryCode", "code_hash", why="hash of a one-time recovery code")
non_personal("accounts.Device", "cookie_hash", why="hash of a random device cookie")
non_personal("accounts.UserSession", "key_hash", why="hash of the session key")
non_personal("accounts.EmailChange", "token_hash", why="hash of the confirmation token")
