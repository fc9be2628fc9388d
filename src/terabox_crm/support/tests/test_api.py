"""The tickets API refuses a change the policy refuses with the message the
service gives (S6): the object rule is the policy's, the words stay."""

from django.utils import translation

from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login


def test_changing_a_ticket_one_may_only_read_is_refused_with_the_services_message(client, cast):
    ticket = open_ticket(cast.acme, cast.owner)
    login(client, cast.member)
    for response in (
        client.patch(
            f"/api/v1/tickets/{ticket.pk}/",
            {"priority": "high"},
            content_type="application/json",
        ),
        client.post(
            f"/api/v1/tickets/{ticket.pk}/reply/", {"body": "x"}, content_type="application/json"
        ),
    ):
        assert response.status_code == 403
        with translation.override(response["Content-Language"]):
            assert response.json()["title"] == translation.gettext("You cannot change this ticket.")


def test_the_assignee_reads_a_ticket_of_another_team_with_team_visibility(client, cast):
    from terabox_crm.core.models import RecordVisibility

    cast.acme.record_visibility = RecordVisibility.TEAM
    cast.acme.save(update_fields=["record_visibility"])
    ticket = open_ticket(cast.acme, cast.owner, assignee=cast.member)
    login(client, cast.member)
    listed = client.get("/api/v1/tickets/").json()["results"]
    assert [item["id"] for item in listed] == [str(ticket.pk)]
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
