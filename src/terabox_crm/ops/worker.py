"""``terabox-crm worker``: the Huey job consumer (docs/decisions/0003-jobs-huey.md).

The queue is ``settings.HUEY``: SQLite in the data dir for the embedded
default, Redis when ``REDIS_URL`` is set so that several workers on several
machines share it. ``serve`` starts one of these as a child process; larger
deployments run as many as they need next to their app processes, all but one
with ``--no-periodic`` (each scheduler would enqueue every periodic job).

Stopping: SIGTERM (what ``serve``, systemd, Docker and Kubernetes send) or
SIGINT (Ctrl-C) lets running jobs finish for up to
``CRM_WORKER_SHUTDOWN_SECONDS`` (default 10) and then exits 0; a second
signal stops at once. The consumer's handlers are in place before its
threads start and before "job worker started" is logged, and a job thread
that still runs after the stop does not keep the process alive (``leave``).
A job cut short is not lost: jobs are idempotent and their periodic sweeps
(the outbox's ``deliver_due_emails``) pick up what is left.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time

from terabox_crm.env import ConfigurationError, env_int

log = logging.getLogger("terabox_crm.worker")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terabox-crm worker",
        description="Run a job worker: takes jobs from the queue (SQLite in the data dir, "
        "or Redis when REDIS_URL is set) until stopped with SIGTERM or Ctrl-C.",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker threads (default: CRM_JOB_WORKERS, else 2)",
    )
    parser.add_argument(
        "--no-periodic",
        action="store_true",
        help="run queued jobs only; leave scheduling the periodic ones to one other worker",
    )
    # Set by ``serve`` for its embedded worker: exit when that process is gone,
    # even if it was killed without a chance to stop us (no orphans).
    parser.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def build_consumer(*, workers: int | None = None, periodic: bool = True):
    """A Huey consumer for ``settings.HUEY``, with every app's ``tasks`` module loaded."""
    from django.conf import settings
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    if HUEY.immediate:
        raise ConfigurationError(
            "CRM_JOBS_IMMEDIATE=true runs every job inline in the process that queues it; "
            "a worker has nothing to do (unset it to use the queue)"
        )
    autodiscover_modules("tasks")
    options = dict(settings.HUEY.get("consumer", {}))
    if workers is not None:
        if workers < 1:
            raise ConfigurationError("--workers must be at least 1")
        options["workers"] = workers
    # Every consumer with a scheduler enqueues each periodic job: with several
    # workers on one Redis queue, exactly one should schedule them.
    options["periodic"] = periodic
    # SIGTERM is the signal supervisors send before they kill: make it the
    # graceful one, bounded so the supervisor's own timeout is not reached.
    options.setdefault("graceful_signal", "TERM")
    options.setdefault("shutdown_timeout", float(env_int("CRM_WORKER_SHUTDOWN_SECONDS", 10)))
    return HUEY.create_consumer(**options)


def watch_parent(parent_pid: int, *, interval: float = 1.0) -> threading.Thread:
    """Stop this worker gracefully when ``parent_pid`` is no longer our parent."""

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid:
                log.warning("serve process %s is gone; stopping the job worker", parent_pid)
                os.kill(os.getpid(), signal.SIGTERM)
                return

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def _stop_before_start(signum, frame) -> None:
    raise KeyboardInterrupt


class DeferredStop:
    """Stop signals that arrive while the consumer gets ready, noted instead of
    raised, then handed to the consumer once its own handlers are in place."""

    def __init__(self) -> None:
        self.signals: list[int] = []

    def __call__(self, signum, frame) -> None:
        self.signals.append(signum)

    def install(self) -> DeferredStop:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self)
        return self


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    # Until the consumer is built, SIGTERM ends the process as Ctrl-C does:
    # no job thread runs yet. From then on a stop request is noted and
    # honoured by the consumer: at no moment can it interrupt the main thread
    # while job threads run.
    signal.signal(signal.SIGTERM, _stop_before_start)
    try:
        from terabox_crm.ops.bootstrap import prepare

        prepare()
        consumer = build_consumer(workers=args.workers, periodic=not args.no_periodic)
        deferred = DeferredStop().install()
    except ConfigurationError as exc:
        print(f"terabox-crm worker: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        log.info("job worker stopped while starting")
        return 0
    if args.parent_pid is not None:
        watch_parent(args.parent_pid)
        # Embedded in ``serve``'s terminal: a line per periodic job is noise there.
        logging.getLogger("huey").setLevel(logging.WARNING)
    return run_consumer(consumer, deferred=deferred)


def run_consumer(consumer, *, deferred: DeferredStop | None = None, exit_now=os._exit) -> int:
    """Run ``consumer`` until a stop request; return 0, leaving no job thread behind.

    The consumer's signal handlers are installed — and stop requests noted
    meanwhile handed over — before its threads start and before "job worker
    started" is logged, so a stop request that follows the line (a
    supervisor's SIGTERM, Ctrl-C) is one the consumer sees: it stops its
    threads instead of a ``KeyboardInterrupt`` ending the main thread under
    running jobs. Whatever happens, ``leave`` makes sure no job thread keeps
    the process alive after that.
    """
    previous = {signum: signal.getsignal(signum) for signum in consumer._signal_actions}
    # Huey's own handlers (consumer.run sets them again after starting its threads).
    consumer._set_signal_handlers()
    for signum in deferred.signals if deferred is not None else ():
        consumer._handle_signal(signum, None)
    try:
        log.info(
            "job worker started (pid %s, %s workers, queue %s, periodic jobs %s)",
            os.getpid(),
            consumer.workers,
            type(consumer.huey.storage).__name__,
            "scheduled here" if consumer.periodic else "scheduled elsewhere",
        )
        try:
            # Each task opens its own ``system_context("job")``: context
            # variables do not follow work into the consumer's threads.
            consumer.run()
            # Huey's SIGINT path returns without waiting for running jobs;
            # wait for them here too (bounded), so no job thread is cut off
            # by the interpreter's exit half-way through a write.
            if _threads_alive(consumer):
                consumer.stop(graceful=True)
            log.info("job worker stopped")
        except KeyboardInterrupt:  # a second signal: stop now
            consumer.stop_flag.set()
            log.info("job worker stopped at once")
        return leave(consumer, exit_now=exit_now)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


STRAGGLER_WAIT = 2.0  # seconds for job threads to leave after the stop flag is set


def leave(consumer, *, exit_now=os._exit, wait: float = STRAGGLER_WAIT) -> int:
    """0 once the consumer's threads have ended; if one has not within ``wait``
    seconds (a job that ignores the stop), end the process at once.

    A thread still running when the interpreter exits can keep it from
    exiting (the exit waits on a lock that thread holds, or on a thread a job
    started), and a supervisor then finds the worker still running long after
    its stop. Jobs are idempotent and their periodic sweeps pick up what is
    left (module docstring), so ending without that job is safe.
    """
    deadline = time.monotonic() + wait
    for thread in _threads(consumer):
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in _threads(consumer) if thread.is_alive()]
    others = [
        thread.name
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
    ]
    if not stuck and not others:
        return 0
    # No logging here: a stuck thread may hold the log handler's lock.
    message = f"job worker: {', '.join(stuck + others)} did not stop; exiting without them\n"
    os.write(2, message.encode())
    _flush_within(0.5)
    exit_now(0)
    return 0  # reached only when ``exit_now`` returns (tests)


def _flush_within(seconds: float) -> None:
    """Flush stdout and stderr, unless a stuck thread holds them (then give up)."""

    def flush() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()

    flusher = threading.Thread(target=flush, name="exit-flush", daemon=True)
    flusher.start()
    flusher.join(seconds)


def _threads(consumer) -> list[threading.Thread]:
    return [thread for _worker, thread in consumer.worker_threads] + [consumer.scheduler]


def _threads_alive(consumer) -> bool:
    return any(thread.is_alive() for thread in _threads(consumer))
