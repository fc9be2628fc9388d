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


@pytest.fixture
def heard_together():
    """A listener of groups (``subscribe_many``), beside ``heard``."""
    seen: list[tuple[str, str, list[str]]] = []

    def listener(name, workspace_id, object_ids):
        seen.append((name, workspace_id, list(object_ids)))

    bus.subscribe_many(listener)
    yield seen
    bus.unsubscribe(listener)


def test_a_collected_block_is_heard_together_without_what_rolled_back(
    cast, heard, heard_together, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        scopes_disabled(),
        transaction.atomic(),
        bus.collecting(),
    ):
        first = _make_team(cast.acme, name="One")
        try:
            with transaction.atomic():  # a row of an import that failed
                _make_team(cast.acme, name="Undone")
                raise RuntimeError
        except RuntimeError:
            pass
        second = _make_team(cast.acme, name="Two")
        assert heard == [] and heard_together == []  # not before the commit
    kept = [str(first.pk), str(second.pk)]
    # Each object to a listener of objects; one group to a listener of groups.
    assert heard == [(EVENT, str(cast.acme.pk), pk) for pk in kept]
    assert heard_together == [(EVENT, str(cast.acme.pk), kept)]


def test_a_collected_block_rolled_back_is_never_announced(
    cast, heard, heard_together, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), scopes_disabled():
        with pytest.raises(RuntimeError), transaction.atomic(), bus.collecting():
            _make_team(cast.acme)
            raise RuntimeError
        # The block's own savepoint rolled back inside a committed transaction.
        with transaction.atomic():
            try:
                with transaction.atomic(), bus.collecting():
                    _make_team(cast.acme, name="Support")
                    raise RuntimeError
            except RuntimeError:
                pass
    assert heard == [] and heard_together == []


def test_publish_many_is_one_group_per_name_and_workspace(
    cast, heard, heard_together, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        bus.publish_many(EVENT, workspace_id=cast.acme.pk, object_ids=["a", "b", "c"])
        bus.publish_many(EVENT, workspace_id=cast.acme.pk, object_ids=[])
    assert len(callbacks) == 1
    assert heard_together == [(EVENT, str(cast.acme.pk), ["a", "b", "c"])]


def test_a_failing_group_listener_is_logged_with_a_few_ids_and_the_count(
    cast, heard, caplog, django_capture_on_commit_callbacks
):
    def broken(name, workspace_id, object_ids):
        raise RuntimeError("listener bug")

    bus.subscribe_many(broken)
    try:
        with (
            caplog.at_level(logging.ERROR, logger="terabox_crm.core.bus"),
            django_capture_on_commit_callbacks(execute=True),
            transaction.atomic(),
        ):
            bus.publish_many(EVENT, workspace_id=cast.acme.pk, object_ids=list("abcde"))
    finally:
        bus.unsubscribe(broken)
    assert [obj for _, _, obj in heard] == list("abcde")  # the others still hear it
    (record,) = [r for r in caplog.records if r.name == "terabox_crm.core.bus"]
    assert "a, b, c … (5 objects)" in record.getMessage()
