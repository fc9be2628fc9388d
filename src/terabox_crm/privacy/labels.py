"""Translations for model and field names the foundation left untranslated.

The inventory page shows each model's ``verbose_name`` and each field's;
where an app declared them as plain strings (Django's default from the class
and attribute names), the page passes them through ``gettext`` and this
catalog supplies the Japanese. Apps that mark their names with
``gettext_lazy`` need nothing here.
"""

from django.utils.translation import gettext_noop

FALLBACK_NAMES = (
    gettext_noop("user"),
    gettext_noop("device"),
    gettext_noop("user agent"),
    gettext_noop("email change"),
    gettext_noop("new email"),
    gettext_noop("totp device"),
    gettext_noop("secret"),
    gettext_noop("user session"),
    gettext_noop("ip"),
    gettext_noop("audit detail"),
    gettext_noop("ciphertext"),
    gettext_noop("outbox email"),
    gettext_noop("body html"),
    gettext_noop("body text"),
    gettext_noop("subject"),
    gettext_noop("to"),
    gettext_noop("invitation"),
    gettext_noop("contact email"),
    gettext_noop("contact phone"),
    gettext_noop("membership"),
    gettext_noop("endpoint"),
    gettext_noop("delivery"),
    gettext_noop("ticket message"),
    gettext_noop("consent evidence file"),
    gettext_noop("legal hold"),
    gettext_noop("reply"),
    gettext_noop("status change"),
    gettext_noop("submission"),
)

# The user menu's link to the inventory page (web/partials/_user_menu.html):
# its text belongs to this app's catalog, not the web app's.
NAV_LINK = gettext_noop("Personal data")
