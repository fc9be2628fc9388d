"""``{% notification_bell %}``: the bell with the unread count, for the top bar."""

from django import template

from terabox_crm.notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/partials/_bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"count": selectors.unread_count(user) if user is not None else 0}
