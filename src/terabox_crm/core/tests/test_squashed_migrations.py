"""Squashed migrations (docs/architecture.md, Migrations): a fresh database
migrates through one squashed migration per app, and each squashed migration
leaves exactly the models its replaced chain leaves, so an installation that
ran the old chain and one that ran the squash agree (docs/performance.md,
First start)."""

from __future__ import annotations

import inspect

import pytest
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython, RunSQL

APP_PREFIX = "terabox_crm."


def _squashed(loader: MigrationLoader):
    return [
        (key, migration)
        for key, migration in sorted(loader.disk_migrations.items())
        if migration.replaces and type(migration).__module__.startswith(APP_PREFIX)
    ]


@pytest.fixture(scope="module")
def old_and_new() -> MigrationLoader:
    # replace_migrations=False keeps both the squashed and the replaced nodes.
    return MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)


def test_every_app_with_a_chain_has_a_squash(old_and_new):
    squashed_apps = {key[0] for key, _ in _squashed(old_and_new)}
    chains = {}
    for app, name in old_and_new.disk_migrations:
        if "squashed" not in name and type(
            old_and_new.disk_migrations[app, name]
        ).__module__.startswith(APP_PREFIX):
            chains[app] = chains.get(app, 0) + 1
    assert {app for app, count in chains.items() if count > 1} <= squashed_apps


def test_a_squash_leaves_the_models_of_its_chain(old_and_new):
    for (app, name), migration in _squashed(old_and_new):
        last = max(replaced for label, replaced in migration.replaces if label == app)
        old = old_and_new.project_state((app, last), at_end=True)
        new = old_and_new.project_state((app, name), at_end=True)
        old_models = {k: v for k, v in old.models.items() if k[0] == app}
        new_models = {k: v for k, v in new.models.items() if k[0] == app}
        assert old_models.keys() == new_models.keys(), app
        for key, state in old_models.items():
            assert new_models[key] == state, key


def test_a_fresh_database_applies_only_the_squashes():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app, name), migration in _squashed(loader):
        assert (app, name) in loader.graph.nodes
        for replaced in migration.replaces:
            assert replaced not in loader.graph.nodes, replaced


def test_a_squash_keeps_the_data_steps_and_needs_no_old_file(old_and_new):
    """Seeded policy versions, built-in purposes and the audit triggers still
    run on a fresh database; their code lives in the squashed file itself."""
    kept = {}
    for (app, _name), migration in _squashed(old_and_new):
        for operation in migration.operations:
            if isinstance(operation, RunPython):
                assert inspect.getmodule(operation.code) is inspect.getmodule(migration)
                kept.setdefault(app, []).append(operation.code.__name__)
            assert not isinstance(operation, RunSQL)
    assert kept == {"audit": ["install"], "policies": ["load"], "privacy": ["add_builtin"]}
