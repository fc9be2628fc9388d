"""Detection and alerts (S7): counters in the shared cache, security events
raised once per window. The hooks other apps call:

* ``detection.login_failed(ip=…, account=…, actor=…, workspace=…)`` — accounts,
  on every failed sign-in (password or second factor);
* ``detection.count_reads(membership, n)`` — wherever contact rows are read or
  exported (lists, detail pages, the API, exports);
* ``detection.denied(actor=…, workspace=…)`` — refusals, on every denial.

The rules and numbers are in ``rules``; the address block in ``middleware``.
"""

from terabox_crm.detection.rules import count_reads, denied, login_failed

__all__ = ["count_reads", "denied", "login_failed"]
