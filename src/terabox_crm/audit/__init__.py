"""The tamper-evident audit log. ``from terabox_crm import audit; audit.record(...)``."""


def record(action, **kwargs):
    from terabox_crm.audit.chain import record as _record

    return _record(action, **kwargs)
