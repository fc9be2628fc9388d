"""``terabox-crm retention run [--dry-run]`` and ``status`` (P5)."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from terabox_crm import cli as terabox_cli
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.models import Contact
from terabox_crm.ops import retention as cli
from terabox_crm.retention import services
from terabox_crm.retention.models import RetentionRun
from terabox_crm.retention.tests.support import old_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(cast):
    services.rule_set(
        membership=cast.owner_membership,
        target="contacts.inactive_leads",
        days=730,
        action="anonymise",
        enabled=True,
    )
    return [old_lead(cast.owner_membership, family=f"姓{i}") for i in range(12)]


def test_the_command_is_listed():
    assert "retention" in terabox_cli.COMMANDS


def test_dry_run_counts_per_target_and_changes_nothing(cast, leads, capsys):
    assert cli.main(["run", "--dry-run", "--workspace", cast.acme.slug]) == 0
    out = capsys.readouterr().out
    assert f"{cast.acme.pk} contacts.inactive_leads: 12 row(s) would be anonymised" in out
    assert "nothing was changed" in out
    with scopes_disabled():
        assert not Contact.objects.filter(family_name="").exists()
    assert not RetentionRun.objects.exists()
    assert not AuditEvent.objects.filter(action="retention.batch.applied").exists()


def test_run_applies_with_a_progress_bar_and_a_summary(cast, leads, capsys):
    assert cli.main(["run", "--workspace", str(cast.acme.pk), "--batch", "5"]) == 0
    out = capsys.readouterr().out
    assert "retention [" in out and "100%" in out and "ETA" in out
    assert f"{cast.acme.pk}/contacts.inactive_leads: 12 row(s) (anonymise) in 3 batch(es)" in out
    assert "longest write transaction" in out
    with scopes_disabled():
        assert Contact.objects.filter(family_name="").count() == 12
    events = AuditEvent.objects.filter(action="retention.batch.applied", chain=str(cast.acme.pk))
    assert {event.channel for event in events} == {"cli"}
    assert RetentionRun.objects.get().trigger == "cli"

    assert cli.main(["status"]) == 0
    assert "cli done" in capsys.readouterr().out


def test_usage_errors_exit_2(cast, capsys, settings):
    assert cli.main(["run", "--batch", "5000"]) == 2
    assert cli.main(["run", "--workspace", "nowhere"]) == 2
    assert "no workspace 'nowhere'" in capsys.readouterr().err
    assert cli.main([]) == 2
    settings.RETENTION_MINIMUM_DAYS = "nowhere=5"
    assert terabox_cli.main(["retention", "run", "--dry-run"]) == 2
    assert "CRM_RETENTION_MINIMUM_DAYS" in capsys.readouterr().err


def test_a_failed_run_exits_1_and_the_next_one_resumes(cast, leads, capsys, monkeypatch):
    from terabox_crm.retention import engine

    real = engine._apply_batch
    calls = []

    def flaky(run, item, ids, entry):
        calls.append(len(ids))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(run, item, ids, entry)

    monkeypatch.setattr(engine, "_apply_batch", flaky)
    assert cli.main(["run", "--batch", "5", "--workspace", cast.acme.slug]) == 1
    assert "run it again to resume" in capsys.readouterr().err
    monkeypatch.setattr(engine, "_apply_batch", real)
    assert cli.main(["run", "--batch", "5", "--workspace", cast.acme.slug]) == 0
    run = RetentionRun.objects.get()
    assert run.state == RetentionRun.State.DONE and run.rows_total == 12
