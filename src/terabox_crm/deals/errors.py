"""Refusals of the deals services (see ``core.errors.ServiceRefusal``)."""

from terabox_crm.core.errors import ServiceRefusal


class DealError(ServiceRefusal):
    pass
