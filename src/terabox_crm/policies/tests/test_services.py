"""Publishing a version: notice period, order, audit (P10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from terabox_crm.audit.models import AuditEvent
from terabox_crm.policies import selectors, services
from terabox_crm.policies.models import PolicyVersion
from terabox_crm.refusals import Refusal

pytestmark = pytest.mark.django_db


def publish(days, **extra):
    fields = {
        "kind": "privacy",
        "body_ja": "# 新しいポリシー",
        "body_en": "# New policy",
        "summary_ja": "連絡先を更新",
        "summary_en": "New contact details",
        "effective_at": timezone.now() + timedelta(days=days),
    }
    fields.update(extra)
    return services.version_publish(**fields)


def test_publishing_with_the_notice_period_makes_the_next_version_upcoming(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        version = publish(30, effective_at=timezone.now() + timedelta(days=30, minutes=1))
    assert version.number == 2 and version.is_published
    assert selectors.upcoming("privacy") == version
    assert selectors.version_in_force("privacy").number == 1
    event = AuditEvent.objects.get(action="policies.version.published")
    assert event.workspace_id is None  # the installation's chain
    assert event.payload["number"] == 2 and event.payload["kind"] == "privacy"


@pytest.mark.parametrize("language,words", [("en", "30 days"), ("ja", "30 日以上前")])
def test_too_short_a_notice_is_refused_with_the_earliest_date_and_nothing_stored(language, words):
    with pytest.raises(Refusal) as refused:
        publish(29)
    with translation.override(language):
        message = refused.value.messages[0]
    assert refused.value.code == "policy_notice_too_short"
    assert words in message
    assert PolicyVersion.objects.count() == 2
    assert not AuditEvent.objects.filter(action="policies.version.published").exists()


def test_the_notice_period_is_the_operators(settings):
    settings.POLICY_NOTICE_DAYS = 60
    with pytest.raises(Refusal):
        publish(45)
    settings.POLICY_NOTICE_DAYS = 7
    assert publish(8).number == 2


def test_a_version_must_take_effect_after_the_last_one_published():
    publish(50)
    with pytest.raises(Refusal) as refused:
        publish(40)
    assert refused.value.code == "policy_effective_before_latest"
    assert PolicyVersion.objects.filter(kind="privacy").count() == 2
    # the other policy has its own sequence
    assert publish(40, kind="security").number == 2


@pytest.mark.parametrize(
    "extra,code",
    [
        ({"body_en": "  "}, "policy_text_missing"),
        ({"body_ja": ""}, "policy_text_missing"),
        ({"kind": "cookies"}, "policy_kind_unknown"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(extra, code):
    with pytest.raises(Refusal) as refused:
        publish(40, **extra)
    assert refused.value.code == code
    assert PolicyVersion.objects.count() == 2
