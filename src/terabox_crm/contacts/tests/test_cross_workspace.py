"""Every contacts/companies URL, tried with another workspace's ids (S6)."""

import pytest

from terabox_crm.testing import cross_workspace
from terabox_crm.testing.cross_workspace import Foreign


@pytest.fixture
def foreign(cast) -> Foreign:
    return Foreign(workspace=cast.globex, owner=cast.outsider, membership=cast.outsider_membership)


def test_contacts_urls_serve_no_foreign_objects(client, cast, foreign):
    report = cross_workspace.check_all(client, user=cast.owner, foreign=foreign)
    ours = [
        p
        for p in report.problems
        if any(tag in p for tag in ("(contacts:", "(companies:", "contact", "compan", "saved_view"))
    ]
    changed = [p for p in report.problems if "foreign workspace changed" in p]
    assert ours == []
    assert changed == []
    assert {
        "contacts:detail",
        "contacts:edit",
        "contacts:delete",
        "contacts:merge",
        "contacts:duplicates",
        "contacts:saved_view_delete",
        "companies:detail",
        "companies:edit",
        "companies:delete",
        "api:v1:contact-detail",
        "api:v1:company-detail",
    } <= report.names
