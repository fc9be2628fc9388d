"""The record of processing shows the retention rules as they run (P5, P10)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils.translation import override

from terabox_crm.retention import processing, services
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def test_a_rule_switched_on_shows_beside_the_inventorys_promise(cast):
    services.rule_set(
        membership=cast.admin_membership,
        target="support.closed_tickets",
        days=1825,
        action="delete",
        enabled=True,
    )
    with override("en"):
        rules = processing.rules_by_category(cast.acme)
    everything = [label for labels in rules.values() for label in labels]
    assert "Closed tickets: delete after 1,825 days" in everything
    # Audit details are shredded by default (the policy's promise): on too.
    assert any(label.startswith("Personal details of the audit trail") for label in everything)
    # Rules left off are not shown as running.
    assert not any("Leads" in label for label in everything)
    with override("ja"):
        ja = [
            label for labels in processing.rules_by_category(cast.acme).values() for label in labels
        ]
    assert any("1,825" in label and "日" in label for label in ja)


def test_the_csv_of_the_record_carries_them(client, cast):
    services.rule_set(
        membership=cast.admin_membership,
        target="support.closed_tickets",
        days=1825,
        action="delete",
        enabled=True,
    )
    login(client, cast.owner)
    response = client.get(reverse("policies:processing_csv"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = response.content.decode("utf-8").lstrip("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert any("Closed tickets: delete after 1,825 days" in cell for cell in cells)
