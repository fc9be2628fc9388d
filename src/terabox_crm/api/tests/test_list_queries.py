"""Every API list page costs a fixed, small number of SQL queries whatever
its size (SPEC §5: at most 8 per list page, no N+1): authentication, the
membership, the workspace's keys, the rows and their prefetched children."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from terabox_crm.activities.models import Activity, Task
from terabox_crm.api.tests.conftest import bearer
from terabox_crm.contacts.models import Company, Contact, ContactEmail, ContactPhone, Tag
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_pipeline
from terabox_crm.support.models import Ticket

ROWS = 60  # more than the larger page below
MAX_QUERIES = 8


@pytest.fixture
def full_workspace(cast):
    """``ROWS`` of everything, each contact with two emails, a phone, tags
    and a company, owned by different people."""
    ws, now = cast.acme, timezone.now()
    owners = [cast.owner, cast.member, cast.manager]
    pipeline = make_pipeline(ws, cast.owner)
    with scope(workspace=ws):
        stages = list(pipeline.stages.all())
        tags = Tag.objects.bulk_create(Tag(workspace=ws, name=f"tag{i}") for i in range(3))
        companies = Company.objects.bulk_create(
            Company(workspace=ws, name=f"Company {i}", owner=owners[i % 3]) for i in range(ROWS)
        )
        contacts = Contact.objects.bulk_create(
            Contact(
                workspace=ws,
                family_name="山田",
                given_name=f"花子{i}",
                company=companies[i],
                owner=owners[i % 3],
            )
            for i in range(ROWS)
        )
        ContactEmail.objects.bulk_create(
            ContactEmail(workspace=ws, contact=c, value=f"c{i}-{n}@example.jp", is_primary=not n)
            for i, c in enumerate(contacts)
            for n in range(2)
        )
        ContactPhone.objects.bulk_create(
            ContactPhone(workspace=ws, contact=c, value=f"+8190{i:08d}")
            for i, c in enumerate(contacts)
        )
        for index, contact in enumerate(contacts):
            contact.tags.add(tags[index % 3], tags[(index + 1) % 3])
        for index, company in enumerate(companies):
            company.tags.add(tags[index % 3])
        Deal.objects.bulk_create(
            Deal(
                workspace=ws,
                pipeline=pipeline,
                stage=stages[i % len(stages)],
                name=f"Deal {i}",
                owner=owners[i % 3],
                contact=contacts[i],
                company=companies[i],
                board_position=i,
            )
            for i in range(ROWS)
        )
        Activity.objects.bulk_create(
            Activity(
                workspace=ws,
                subject=f"Call {i}",
                occurred_at=now,
                contact=contacts[i],
                owner=owners[i % 3],
            )
            for i in range(ROWS)
        )
        Task.objects.bulk_create(
            Task(
                workspace=ws,
                title=f"Task {i}",
                due_at=now + timedelta(days=1),
                assignee=owners[i % 3],
                contact=contacts[i],
                owner=owners[i % 3],
            )
            for i in range(ROWS)
        )
        Ticket.objects.bulk_create(
            Ticket(
                workspace=ws,
                number=i + 1,
                subject=f"Ticket {i}",
                contact=contacts[i],
                owner=owners[i % 3],
                assignee=owners[(i + 1) % 3],
                first_response_due_at=now,
                resolution_due_at=now,
            )
            for i in range(ROWS)
        )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/contacts/",
        "/api/v1/companies/",
        "/api/v1/deals/",
        "/api/v1/activities/",
        "/api/v1/tasks/",
        "/api/v1/tickets/",
    ],
)
def test_a_list_page_costs_the_same_few_queries_at_any_size(
    client, cast, make_token, full_workspace, url
):
    secret = make_token(cast.owner)
    # The first request of a process also loads the workspace's key ids (cached).
    client.get(url, **bearer(secret))
    counts = {}
    for size in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page_size": size}, **bearer(secret))
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        counts[size] = len(queries.captured_queries)
    assert counts[5] == counts[50], counts
    assert counts[50] <= MAX_QUERIES, [q["sql"][:120] for q in queries.captured_queries]
