"""The webhooks and API-token URLs tried with another workspace's ids (S6)."""

from terabox_crm.testing import cross_workspace
from terabox_crm.testing.cross_workspace import Foreign

OUR_URLS = {
    "webhooks:detail",
    "webhooks:rotate",
    "webhooks:delete",
    "webhooks:ping",
    "webhooks:redeliver",
    "api_tokens:revoke",
    "api:v1:webhook-endpoint-detail",
    "api:v1:webhook-endpoint-deliveries",
}


def test_our_urls_serve_nothing_of_another_workspace(client, cast):
    foreign = Foreign(
        workspace=cast.globex, owner=cast.outsider, membership=cast.outsider_membership
    )
    report = cross_workspace.check_all(client, user=cast.owner, foreign=foreign)
    ours = [
        p
        for p in report.problems
        if any(f"({name})" in p or p.startswith(name) for name in OUR_URLS)
    ]
    assert ours == []
    assert not [p for p in report.problems if "foreign workspace changed" in p]
    assert report.names >= OUR_URLS
