"""Which version is in force, which comes next, and the history (P10)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from terabox_crm.policies import selectors
from terabox_crm.policies.initial import FIRST_EFFECTIVE_AT, ensure_initial_versions
from terabox_crm.policies.models import PolicyVersion

pytestmark = pytest.mark.django_db


def make(kind="privacy", number=2, *, effective_in_days=40, published=True):
    now = timezone.now()
    return PolicyVersion.objects.create(
        kind=kind,
        number=number,
        effective_at=now + timedelta(days=effective_in_days),
        published_at=now if published else None,
        body_ja=f"v{number}",
        body_en=f"v{number}",
    )


def test_the_seed_versions_are_in_force_after_migrate():
    for kind in PolicyVersion.Kind:
        version = selectors.version_in_force(kind)
        assert version is not None
        assert version.number == 1
        assert version.effective_at == FIRST_EFFECTIVE_AT
        assert version.body_ja.startswith("# ")
        assert version.body_en.startswith("# ")
    privacy = selectors.version_in_force("privacy")
    assert "{{ data_inventory }}" in privacy.body_ja
    assert "{{ contact }}" in privacy.body_en


def test_loading_the_initial_versions_again_changes_nothing():
    assert ensure_initial_versions(PolicyVersion) == 0
    assert PolicyVersion.objects.count() == 2


def test_a_published_future_version_is_upcoming_until_it_takes_effect():
    v2 = make(number=2, effective_in_days=40)
    assert selectors.version_in_force("privacy").number == 1
    assert selectors.upcoming("privacy") == v2
    later = v2.effective_at + timedelta(seconds=1)
    assert selectors.version_in_force("privacy", at=later) == v2
    assert selectors.upcoming("privacy", at=later) is None
    # the other kind is untouched
    assert selectors.version_in_force("security", at=later).number == 1


def test_a_draft_is_never_in_force_upcoming_or_history():
    draft = make(number=2, effective_in_days=40, published=False)
    later = draft.effective_at + timedelta(days=1)
    assert selectors.version_in_force("privacy", at=later).number == 1
    assert selectors.upcoming("privacy") is None
    assert draft not in selectors.history("privacy")


def test_before_the_first_version_nothing_is_in_force():
    before = FIRST_EFFECTIVE_AT - timedelta(days=1)
    assert selectors.version_in_force("privacy", at=before) is None


def test_history_is_newest_first_and_includes_the_upcoming_version():
    v2 = make(number=2, effective_in_days=40)
    assert [v.number for v in selectors.history("privacy")] == [v2.number, 1]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        selectors.version_in_force("cookies")


def test_the_number_is_unique_per_kind():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make(kind="privacy", number=1)
    make(kind="security", number=2)
