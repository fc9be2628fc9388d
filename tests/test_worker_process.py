"""``terabox-crm worker`` as an operator runs it: takes queued jobs from the
queue in the data dir and stops cleanly (docs/decisions/0003-jobs-huey.md)."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from serving import COMMAND, alive, clean_env

pytestmark = pytest.mark.slow

ENQUEUE = (
    "from terabox_crm.communications.tasks import deliver_email; "
    "deliver_email('00000000-0000-0000-0000-000000000000')"
)


def start_worker(data_dir, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [COMMAND, "worker", *args],
        env=clean_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until(process: subprocess.Popen, text: str, timeout: float = 60) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"{text!r} not printed:\n{''.join(seen)}")


def test_worker_runs_a_queued_job_and_stops_on_sigterm(tmp_path):
    worker = start_worker(tmp_path)
    try:
        read_until(worker, "job worker started")
        queued = subprocess.run(
            [COMMAND, "manage", "shell", "-c", ENQUEUE],
            env=clean_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert queued.returncode == 0, queued.stderr
        read_until(worker, "deliver_email")
        read_until(worker, "executed in")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    finally:
        if worker.poll() is None:
            worker.kill()


def test_worker_stops_on_ctrl_c(tmp_path):
    worker = start_worker(tmp_path)
    try:
        read_until(worker, "job worker started")
        worker.send_signal(signal.SIGINT)
        code = worker.wait(timeout=15)
        assert code == 0, worker.stdout.read()
    finally:
        if worker.poll() is None:
            worker.kill()


def test_embedded_worker_exits_when_its_serve_process_is_gone(tmp_path):
    # A parent pid that is not our parent: the worker behaves as if serve died.
    worker = start_worker(tmp_path, "--parent-pid", "1")
    try:
        output = read_until(worker, "stopping the job worker")
        assert worker.wait(timeout=15) == 0
        assert not alive(worker.pid)
        assert "serve process 1 is gone" in output
    finally:
        if worker.poll() is None:
            worker.kill()


def test_worker_refuses_inline_job_mode(tmp_path):
    env = clean_env(tmp_path, CRM_JOBS_IMMEDIATE="true")
    result = subprocess.run(
        [COMMAND, "worker"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "CRM_JOBS_IMMEDIATE" in result.stderr
