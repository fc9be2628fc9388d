from __future__ import annotations

from django_scopes import scope

from terabox_crm.core.selectors import membership_in
from terabox_crm.incidents import services

NOTICE = {
    "notice_title_ja": "不正アクセスに関するお知らせ",
    "notice_body_ja": "当社の CRM において、一部の顧客情報が閲覧された可能性があります。",
    "notice_title_en": "Notice of unauthorised access",
    "notice_body_en": "Some customer records in our CRM may have been viewed by a third party.",
}


def open_incident(workspace, actor, title="Phished account", **values):
    with scope(workspace=workspace):
        return services.incident_create(
            membership=membership_in(workspace, actor), values={"title": title, **values}
        )
