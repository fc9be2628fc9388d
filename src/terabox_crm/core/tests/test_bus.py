"""The domain event bus (core/bus.py): after commit only, and a failing
subscriber never breaks the write nor the other subscribers."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction
from django_scopes import scopes_disabled

from terabox_crm.core import bus
from terabox_crm.core.models import Team

EVENT = "test.team_made"


@pytest.fixture
def heard():
    """Declare a test event and listen to the bus; undo both afterwards."""
    seen: list[tuple[str, str, str]] = []

    def listener(name, workspace_id, object_id):
        seen.append((name, workspace_id, object_id))

    bus.declare([bus.Event(EVENT, "Team made", "core.team")])
    bus.subscribe(listener)
    yield seen
    bus.unsubscribe(listener)
    bus._declared.pop(EVENT)


def _make_team(workspace, name="Sales") -> Team:
    with transaction.atomic():
        team = Team.objects.create(workspace=workspace, name=name)
        bus.publish(EVENT, workspace_id=workspace.pk, object_id=team.pk)
    return team


def test_subscribers_hear_of_a_committed_write_once_with_ids_as_text(
    cast, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), scopes_disabled():
        team = _make_team(cast.acme)
        assert heard == []  # not before the commit
    assert heard == [(EVENT, str(cast.acme.pk), str(team.pk))]


def test_a_rolled_back_write_is_never_announced(cast, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, scopes_disabled():
        with pytest.raises(RuntimeError), transaction.atomic():
            _make_team(cast.acme)
            raise RuntimeError
        # A savepoint rolled back inside a committed transaction: the same.
        with transaction.atomic():
            try:
                with transaction.atomic():
                    _make_team(cast.acme, name="Support")
                    raise RuntimeError
            except RuntimeError:
                pass
            kept = _make_team(cast.acme, name="Kept")
        assert not Team.objects.filter(name__in=["Sales", "Support"]).exists()
    assert len(callbacks) == 1
    assert heard == [(EVENT, str(cast.acme.pk), str(kept.pk))]


def test_a_failing_subscriber_breaks_neither_the_write_nor_the_others(
    cast, heard, caplog, django_capture_on_commit_callbacks
):
    def broken(name, workspace_id, object_id):
        raise RuntimeError("listener bug")

    bus._subscribers.insert(0, broken)  # called first, before the test listener
    before = bus.failures().get(f"{__name__}.{broken.__qualname__}", 0)
    try:
        with (
            caplog.at_level(logging.ERROR, logger="terabox_crm.core.bus"),
            django_capture_on_commit_callbacks(execute=True),
            scopes_disabled(),
        ):
            team = _make_team(cast.acme)
    finally:
        bus.unsubscribe(broken)
    with scopes_disabled():
        assert Team.objects.filter(pk=team.pk).exists()
    assert heard == [(EVENT, str(cast.acme.pk), str(team.pk))]
    assert bus.failures()[f"{__name__}.{broken.__qualname__}"] == before + 1
    (record,) = [r for r in caplog.records if r.name == "terabox_crm.core.bus"]
    assert EVENT in record.getMessage() and str(team.pk) in record.getMessage()
    assert record.exc_info[0] is RuntimeError


def test_an_undeclared_event_is_refused_when_published(cast, heard):
    with pytest.raises(ValueError, match="unknown event"):
        bus.publish("test.never_declared", workspace_id=cast.acme.pk, object_id="x")
    with pytest.raises(ValueError, match="declared twice"):
        bus.declare([bus.Event(EVENT, "Again", "core.team")])
    assert heard == []


def test_every_declared_event_names_a_record_type_and_has_a_label():
    """The payload shape: ``data.id`` is the id of a record of ``subject``."""
    from django.apps import apps

    declared = bus.declared()
    assert declared, "the apps declare their events in AppConfig.ready()"
    for event in declared:
        assert apps.get_model(event.subject), event.name
        assert str(event.label) and str(event.label) != event.name
