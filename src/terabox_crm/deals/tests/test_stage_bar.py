"""The deal page's stage bar and the won or lost reason (SPEC §2; docs/ui.md):
one click to an open stage, a reason asked before a deal closes (required
for lost), kept encrypted, shown on the page and in the API; every change
checked by the policy and audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from terabox_crm.audit.models import AuditEvent
from terabox_crm.core.selectors import membership_in
from terabox_crm.deals import services
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login


@pytest.fixture
def pipeline(cast):
    return make_pipeline(cast.acme, cast.owner)


@pytest.fixture
def deal(cast, pipeline):
    return make_deal(cast.acme, cast.member, pipeline, name="Rollout", amount="1000")


def _set(cast, deal, stage_name, reason=None, actor=None):
    with scope(workspace=cast.acme):
        fresh = Deal.objects.select_related("stage", "pipeline").get(pk=deal.pk)
        return services.deal_set_stage(
            membership=membership_in(cast.acme, actor or cast.member),
            deal=fresh,
            stage=stage_named(deal.pipeline, stage_name),
            reason=reason,
        )


def test_a_lost_deal_needs_a_reason_and_nothing_changes_without_one(cast, deal):
    with pytest.raises(Refusal) as refused:
        _set(cast, deal, "Lost", reason="   ")
    assert refused.value.code == "reason_required"
    with scope(workspace=cast.acme):
        assert Deal.objects.get(pk=deal.pk).stage.name == "Lead"
    assert not AuditEvent.objects.filter(action="deals.deal.stage_changed").exists()


def test_a_lost_reason_is_stored_encrypted_and_the_change_audited_without_it(cast, deal):
    _set(cast, deal, "Lost", reason="山田様のご判断で他社に決定")
    with scope(workspace=cast.acme):
        stored = Deal.objects.get(pk=deal.pk)
        assert stored.close_reason == "山田様のご判断で他社に決定"
        assert stored.closed_at is not None and stored.stage_entered_at is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT close_reason FROM deals_deal")
        raw = cursor.fetchone()[0]
    assert raw.startswith("v1:") and "山田" not in raw
    event = AuditEvent.objects.get(action="deals.deal.stage_changed", object_id=str(deal.pk))
    assert event.payload["outcome"] == "lost" and event.payload["reason_given"] is True
    assert "山田" not in str(event.payload)


def test_won_asks_but_does_not_require_a_reason_and_reopening_drops_it(cast, deal):
    _set(cast, deal, "Won")
    _set(cast, deal, "Won", reason="Best price")
    with scope(workspace=cast.acme):
        assert Deal.objects.get(pk=deal.pk).close_reason == "Best price"
    assert AuditEvent.objects.filter(
        action="deals.deal.updated", object_id=str(deal.pk), payload__fields=["close_reason"]
    ).exists()
    _set(cast, deal, "Proposal")
    with scope(workspace=cast.acme):
        reopened = Deal.objects.get(pk=deal.pk)
    assert reopened.close_reason == "" and reopened.closed_at is None


def test_an_overlong_reason_is_refused(cast, deal):
    with pytest.raises(Refusal) as refused:
        _set(cast, deal, "Lost", reason="x" * 501)
    assert refused.value.code == "reason_too_long"


def test_a_viewer_cannot_change_the_stage(cast, deal):
    with pytest.raises(Refusal) as refused:
        _set(cast, deal, "Proposal", actor=cast.viewer)
    assert refused.value.status == 403


def test_a_stage_of_another_pipeline_is_refused(cast, deal):
    other = make_pipeline(cast.acme, cast.owner, name="Renewals")
    with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
        services.deal_set_stage(
            membership=membership_in(cast.acme, cast.member),
            deal=Deal.objects.get(pk=deal.pk),
            stage=stage_named(other, "Proposal"),
        )
    assert refused.value.code == "foreign_stage"


@pytest.mark.parametrize(
    ("language", "current", "asks"),
    [("en", "(current)", "Why was it lost?"), ("ja", "（現在）", "失注の理由")],
)
def test_the_page_shows_the_stage_bar_and_asks_why_before_closing(
    client, cast, deal, language, current, asks
):
    login(client, cast.member)
    url = reverse("deals:detail", args=[deal.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'aria-current="step"' in html and current in html
    assert html.count('name="stage"') == 3  # the other open stages: one click each
    lost = stage_named(deal.pipeline, "Lost")
    assert f"?close={lost.pk}" in html
    asked = client.get(url, {"close": lost.pk}, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert asks in asked and 'name="reason"' in asked and "required" in asked


def test_one_click_moves_the_deal_and_a_lost_reason_shows_on_the_page(client, cast, deal):
    login(client, cast.member)
    proposal = stage_named(deal.pipeline, "Proposal")
    response = client.post(reverse("deals:stage", args=[deal.pk]), {"stage": proposal.pk})
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        assert Deal.objects.get(pk=deal.pk).stage_id == proposal.pk

    lost = stage_named(deal.pipeline, "Lost")
    refused = client.post(reverse("deals:stage", args=[deal.pk]), {"stage": lost.pk})
    assert f"?close={lost.pk}" in refused["Location"]
    client.post(reverse("deals:stage", args=[deal.pk]), {"stage": lost.pk, "reason": "Budget cut"})
    html = client.get(
        reverse("deals:detail", args=[deal.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Why it was lost" in html and "Budget cut" in html


def test_the_stage_bar_needs_the_csrf_token(cast, deal):
    client = Client(enforce_csrf_checks=True)
    login(client, cast.member)
    proposal = stage_named(deal.pipeline, "Proposal")
    response = client.post(reverse("deals:stage", args=[deal.pk]), {"stage": proposal.pk})
    assert response.status_code == 403
    with scope(workspace=cast.acme):
        assert Deal.objects.get(pk=deal.pk).stage.name == "Lead"


def test_a_viewer_sees_the_bar_without_buttons_and_cannot_post(client, cast, deal):
    login(client, cast.viewer)
    html = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert 'id="stage-bar"' in html and 'name="stage"' not in html
    proposal = stage_named(deal.pipeline, "Proposal")
    response = client.post(reverse("deals:stage", args=[deal.pk]), {"stage": proposal.pk})
    assert response.status_code == 403


def test_another_workspace_cannot_change_the_stage(client, cast, deal):
    login(client, cast.outsider)
    proposal = stage_named(deal.pipeline, "Proposal")
    response = client.post(reverse("deals:stage", args=[deal.pk]), {"stage": proposal.pk})
    assert response.status_code == 404


def test_the_api_shows_and_sets_the_close_reason(client, cast, deal):
    login(client, cast.member)
    lost = stage_named(deal.pipeline, "Lost")
    url = f"/api/v1/deals/{deal.pk}/"
    response = client.patch(
        url,
        {"stage": str(lost.pk), "close_reason": "Chose a rival"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["close_reason"] == "Chose a rival"
    assert client.get(url).json()["stage_entered_at"]
    too_long = client.patch(url, {"close_reason": "x" * 501}, content_type="application/json")
    assert too_long.status_code == 400
    assert too_long["Content-Type"].startswith("application/problem+json")


def test_an_erasure_clears_the_reason_with_the_name(cast):
    """The reason may name the person (P8): it goes with the deal's name."""
    from django_scopes import scopes_disabled

    from terabox_crm.erasure import services as erasure_services
    from terabox_crm.erasure.tests import world

    person = world.make_person(cast)
    with scopes_disabled():
        deal = Deal.objects.get(pk=person.deal.pk)
        deal.close_reason = "山田様のご判断"
        deal.save(update_fields=["close_reason"])
    with scope(workspace=cast.acme):
        erasure_services.subject_erase(
            membership=person.officer, subject_id=person.contact.pk, reason="Request"
        )
    with scopes_disabled():
        erased = Deal.objects.get(pk=person.deal.pk)
    assert (erased.name, erased.close_reason) == ("—", "")
