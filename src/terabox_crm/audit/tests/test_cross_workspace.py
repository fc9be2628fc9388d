"""The audit URLs, tried with another workspace's event (S6, issue 2)."""

from terabox_crm.testing import cross_workspace
from terabox_crm.testing.cross_workspace import Foreign

AUDIT_URLS = {
    "audit:event",
    "api:v1:audit-event-detail",
    "api:v1:security-event-detail",
}


def test_audit_urls_serve_no_foreign_events(client, cast):
    foreign = Foreign(
        workspace=cast.globex, owner=cast.outsider, membership=cast.outsider_membership
    )
    report = cross_workspace.check_all(client, user=cast.owner, foreign=foreign)
    ours = [
        p
        for p in report.problems
        if any(f"({name})" in p or p.startswith(name) for name in AUDIT_URLS)
    ]
    assert ours == []
    assert not [p for p in report.problems if "foreign workspace changed" in p]
    assert report.names >= AUDIT_URLS
