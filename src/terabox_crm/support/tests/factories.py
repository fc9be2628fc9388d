from django_scopes import scope

from terabox_crm.core.selectors import membership_in
from terabox_crm.support import services


def open_ticket(workspace, actor, subject="Cannot sign in", **extra):
    with scope(workspace=workspace):
        return services.ticket_open(
            membership=membership_in(workspace, actor),
            data=services.TicketData(subject=subject, **extra),
        )
