"""``terabox-crm worker``: the Huey job consumer (docs/decisions/0003-jobs-huey.md).

The queue is ``settings.HUEY``: SQLite in the data dir for the embedded
default, Redis when ``REDIS_URL`` is set so that several workers on several
machines share it. ``serve`` starts one of these as a child process; larger
deployments run as many as they need next to their app processes, all but one
with ``--no-periodic`` (each scheduler would enqueue every periodic job).

Stopping: SIGTERM (what ``serve``, systemd, Docker and Kubernetes send) or
SIGINT (Ctrl-C) lets running jobs finish for up to
``CRM_WORKER_SHUTDOWN_SECONDS`` (default 10) and then exits 0; a second
signal stops at once. A job cut short is not lost: jobs are idempotent and
their periodic sweeps (the outbox's ``deliver_due_emails``) pick up what is
left.
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        from terabox_crm.ops.bootstrap import prepare

        prepare()
        consumer = build_consumer(workers=args.workers, periodic=not args.no_periodic)
    except ConfigurationError as exc:
        print(f"terabox-crm worker: {exc}", file=sys.stderr)
        return 2
    if args.parent_pid is not None:
        watch_parent(args.parent_pid)
        # Embedded in ``serve``'s terminal: a line per periodic job is noise there.
        logging.getLogger("huey").setLevel(logging.WARNING)
    # Until the consumer installs its own handlers, a stop request (SIGTERM,
    # or SIGINT's KeyboardInterrupt) simply ends the process: nothing has run yet.
    signal.signal(signal.SIGTERM, _stop_before_start)
    try:
        log.info(
            "job worker started (pid %s, %s workers, queue %s, periodic jobs %s)",
            os.getpid(),
            consumer.workers,
            type(consumer.huey.storage).__name__,
            "scheduled here" if consumer.periodic else "scheduled elsewhere",
        )
        # Each task opens its own ``system_context("job")``: context variables
        # do not follow work into the consumer's threads.
        consumer.run()
        # Huey's SIGINT path returns without waiting for running jobs; wait for
        # them here too (bounded), so no job thread is cut off by the
        # interpreter's exit half-way through a write.
        if _threads_alive(consumer):
            consumer.stop(graceful=True)
    except KeyboardInterrupt:
        log.info("job worker stopped at once")
        return 0
    log.info("job worker stopped")
    return 0


def _threads_alive(consumer) -> bool:
    threads = [thread for _worker, thread in consumer.worker_threads] + [consumer.scheduler]
    return any(thread.is_alive() for thread in threads)
