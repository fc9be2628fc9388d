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


# --- stopping: no window, no thread left behind ------------------------------------------


@pytest.fixture
def own_signal_handlers():
    """Whatever a test installs for SIGINT/SIGTERM is undone afterwards."""
    import signal

    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.fixture
def only_this_tests_threads(monkeypatch):
    """``leave`` ends the process when a non-daemon thread besides the job
    threads is alive. In the test run, threads that earlier tests of the same
    worker process left (asgiref's single-thread executor is one, idle for
    good once used) are not this worker's: ``leave`` sees only the threads
    started during the test."""
    import threading

    before = set(threading.enumerate())
    real = threading.enumerate
    monkeypatch.setattr(
        threading,
        "enumerate",
        lambda: [t for t in real() if t not in before or t is threading.main_thread()],
    )


def _refuse_to_exit(code):
    raise AssertionError(f"the worker would have ended the process ({code})")


def _signal_at_the_start_line(monkeypatch, signum):
    """Deliver ``signum`` to this process exactly when "job worker started" is logged."""
    import os

    real_info = worker.log.info

    def info(message, *args, **kwargs):
        real_info(message, *args, **kwargs)
        if message.startswith("job worker started"):
            os.kill(os.getpid(), signum)

    monkeypatch.setattr(worker.log, "info", info)


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_stop_request_at_the_start_line_stops_every_job_thread(
    queued_mode, monkeypatch, own_signal_handlers, only_this_tests_threads, signal_name
):
    import signal

    consumer = worker.build_consumer(periodic=False)
    _signal_at_the_start_line(monkeypatch, getattr(signal, signal_name))
    assert worker.run_consumer(consumer, exit_now=_refuse_to_exit) == 0
    assert not worker._threads_alive(consumer)


def test_stop_request_noted_while_starting_is_handed_to_the_consumer(
    queued_mode, own_signal_handlers, only_this_tests_threads
):
    import os
    import signal

    consumer = worker.build_consumer(periodic=False)
    deferred = worker.DeferredStop().install()
    os.kill(os.getpid(), signal.SIGTERM)  # noted, not raised
    assert deferred.signals == [signal.SIGTERM]
    assert worker.run_consumer(consumer, deferred=deferred, exit_now=_refuse_to_exit) == 0
    assert not worker._threads_alive(consumer)


class _Consumer:
    """Just what ``leave`` looks at: the job threads and the scheduler."""

    def __init__(self, *threads):
        self.worker_threads = [(None, thread) for thread in threads[:-1]]
        self.scheduler = threads[-1]


def _thread(target):
    import threading

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_leave_returns_when_every_job_thread_has_ended(only_this_tests_threads):
    consumer = _Consumer(_thread(lambda: None), _thread(lambda: None))
    assert worker.leave(consumer, exit_now=_refuse_to_exit) == 0


def test_job_thread_that_does_not_stop_does_not_keep_the_process(capfd):
    import threading

    release = threading.Event()
    consumer = _Consumer(_thread(release.wait), _thread(lambda: None))
    exits = []
    try:
        worker.leave(consumer, exit_now=exits.append, wait=0.2)
    finally:
        release.set()
    assert exits == [0]
    assert "did not stop; exiting without them" in capfd.readouterr().err
