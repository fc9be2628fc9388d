"""The tamper-evident audit log. ``from terabox_crm import audit; audit.record(...)``."""


def record(action, **kwargs):
    from terabox_crm.audit.chain import record as _record

    return _record(action, **kwargs)


def record_many(entries):
    """Several events in one batch (``chain.record_many``): a bulk action's audit."""
    from terabox_crm.audit.chain import record_many as _record_many

    return _record_many(entries)
