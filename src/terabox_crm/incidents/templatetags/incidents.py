"""The incidents panel of the public ``/notices/`` page (the policies app's
page names the tag; docs/architecture.md "Panels from the apps above")."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from terabox_crm.incidents import selectors

register = template.Library()


@register.inclusion_tag("incidents/partials/_public_notices.html")
def incident_notices():
    language = "ja" if (get_language() or "ja").startswith("ja") else "en"
    return {
        "notices": [
            {"incident": incident, **selectors.notice_text(incident, language)}
            for incident in selectors.public_notices()
        ]
    }
