"""Who sees and who edits a company or contact (issue 3 point 8), as querysets.

The rule itself lives once in ``core.records`` (shared with deals, activities
and tickets); this module applies it to companies and contacts, and
``rules.py`` registers its object-by-object twin with ``core.policy``, so a
list never shows a record its detail page refuses, and the API and the web
views decide alike:

* owners and admins: every record of the workspace, read and write;
* workspace visibility ``workspace``: every member reads every record;
  ``team``: below admin one reads the records one owns or whose team is one's team;
* viewers never write; members and managers write the records they own or
  whose team is their team; a record without a team is written by its owner
  (and admins) only.
"""

from __future__ import annotations

from django.db import models

from terabox_crm.core import records


class RecordQuerySet(models.QuerySet):
    def in_workspace(self, membership):
        return self.filter(workspace_id=membership.workspace_id)

    def visible_to(self, membership):
        if membership is None:
            return self.none()
        return self.in_workspace(membership).filter(records.readable_q(membership))

    def editable_by(self, membership):
        if membership is None:
            return self.none()
        return self.in_workspace(membership).filter(records.editable_q(membership))
