from django_scopes import scope

from terabox_crm.support import services


def open_ticket(workspace, actor, subject="Cannot sign in", **extra):
    with scope(workspace=workspace):
        return services.ticket_open(
            actor=actor, workspace=workspace, data=services.TicketData(subject=subject, **extra)
        )
