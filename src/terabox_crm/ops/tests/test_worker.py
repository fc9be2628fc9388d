"""``terabox-crm worker``: the consumer it builds (tests/test_worker_process.py runs it)."""

from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

from terabox_crm.env import ConfigurationError
from terabox_crm.ops import worker


@pytest.fixture
def queued_mode():
    """The test run executes jobs inline; a worker needs the real queue."""
    HUEY.immediate = False
    yield HUEY
    HUEY.immediate = True


def test_worker_refuses_to_run_when_jobs_run_inline():
    assert HUEY.immediate
    with pytest.raises(ConfigurationError, match="CRM_JOBS_IMMEDIATE"):
        worker.build_consumer()


def test_worker_stops_gracefully_on_sigterm_within_a_bounded_time(queued_mode):
    consumer = worker.build_consumer()
    assert consumer.graceful_signal == "TERM"
    assert consumer.shutdown_timeout == 10.0


def test_worker_shutdown_time_comes_from_the_environment(queued_mode, monkeypatch):
    monkeypatch.setenv("CRM_WORKER_SHUTDOWN_SECONDS", "3")
    assert worker.build_consumer().shutdown_timeout == 3.0


def test_worker_threads_come_from_settings_or_the_command_line(queued_mode, settings):
    assert worker.build_consumer().workers == settings.HUEY["consumer"]["workers"]
    assert worker.build_consumer(workers=4).workers == 4


def test_worker_refuses_zero_threads(queued_mode):
    with pytest.raises(ConfigurationError, match="at least 1"):
        worker.build_consumer(workers=0)


def test_worker_command_line_hides_the_internal_parent_option():
    assert "--parent-pid" not in worker.build_parser().format_help()
    assert worker.build_parser().parse_args(["--parent-pid", "42"]).parent_pid == 42


def test_worker_schedules_periodic_jobs_unless_told_not_to(queued_mode):
    assert worker.build_consumer().periodic is True
    assert worker.build_consumer(periodic=False).periodic is False
    assert worker.build_parser().parse_args(["--no-periodic"]).no_periodic
