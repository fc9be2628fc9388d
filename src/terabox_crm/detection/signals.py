"""``raised``: sent once for each detection event (S7).

Receivers get ``kind`` (a ``kinds.Kind``) and ``workspace_id`` (None for the
system chain). The security dashboard app connects its alert digests here,
so this engine never imports the apps above it that know who the admins are.
"""

from django.dispatch import Signal

raised = Signal()
