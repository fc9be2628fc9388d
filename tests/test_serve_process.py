"""``terabox-crm serve`` as a user runs it: HTTPS out of the box with a generated
certificate, health endpoints, security headers, static files, the HTTP
redirect, the body limit, one web worker process per core, and a clean stop
of every process it started (S1, S7, S12)."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import socket
import ssl
import stat
import time

import httpx
import pytest
from cryptography import x509

from serving import (
    WORKER,
    Served,
    alive,
    children,
    clean_env,
    descendants,
    established_connections,
    web_worker_pids,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One server for the tests that only look at it, with the default web
    workers (one per CPU)."""
    directory = tmp_path_factory.mktemp("running")
    env = clean_env(directory, CRM_WEB_WORKERS=None)
    served = Served(directory, ["--http-port", "0"], env).wait_ready()
    yield served
    served.kill()


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_health_and_readiness_answer_over_verified_tls(running):
    with running.client() as client:
        health = client.get("/healthz")
        ready = client.get("/readyz")
    assert health.status_code == 200
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "database": "ok",
        "keys": "ok",
        "signing": "ok",
        "jobs": "ok",
        "cache": "ok",
    }


def test_url_printed_is_https_on_loopback(running):
    assert running.url.startswith("https://127.0.0.1:")


def test_sign_in_page_carries_hsts_and_csp(running):
    with running.client() as client:
        response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["strict-transport-security"]
    assert "includeSubDomains" in response.headers["strict-transport-security"]
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert "server" not in response.headers  # no software banner


def test_tls_is_1_2_or_newer(running):
    context = ssl.create_default_context(cafile=str(running.cert_path))
    port = int(running.url.rsplit(":", 1)[1])
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}


def test_generated_certificate_names_loopback_and_its_key_is_private(running):
    cert = x509.load_pem_x509_certificate(running.cert_path.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("::1") in sans.get_values_for_type(x509.IPAddress)
    key = running.data_dir / "tls" / "key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_generated_secrets_are_private_and_the_warning_says_so(running):
    for name in ("secret_key", "master.key"):
        path = running.data_dir / "keys" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "WARNING" in running.output
    assert "Production must set CRM_SECRET_KEY, CRM_MASTER_KEY" in running.output


def test_database_file_is_readable_by_the_service_user_only(running):
    database = running.data_dir / "db.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) & 0o077 == 0


def test_static_file_is_served(running):
    with running.client() as client:
        response = client.get("/static/web/app.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "nosniff" in response.headers["x-content-type-options"]


def test_plain_http_is_redirected_to_https(running):
    assert running.http_port
    response = httpx.get(f"http://127.0.0.1:{running.http_port}/healthz", timeout=5)
    assert response.status_code == 308
    assert response.headers["location"] == f"{running.url}/healthz"


def test_declared_oversized_body_gets_413_without_being_sent(running):
    context = ssl.create_default_context(cafile=str(running.cert_path))
    port = int(running.url.rsplit(":", 1)[1])
    head = (
        "POST /accounts/login/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {11 * 1024 * 1024}\r\n\r\n"
    )
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(head.encode())
        answer = tls.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413 ")


def test_chunked_oversized_body_gets_413(running):
    context = ssl.create_default_context(cafile=str(running.cert_path))
    port = int(running.url.rsplit(":", 1)[1])
    head = (
        "POST /api/v1/contacts/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * (1024 * 1024)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(head.encode())
        answer = b""
        try:
            for _ in range(12):  # 12 MB offered; the server answers past 10 MB
                tls.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        answer = tls.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"application/problem+json" in answer


def connections_held(served: Served, pids: list[int], clients: int = 24) -> dict[int, int]:
    """Open ``clients`` keep-alive connections at once (a burst, as a pool of
    clients does), each answered 200; how many of them each pid holds."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    opened = [served.client() for _ in range(clients)]
    start = threading.Barrier(clients)

    def ask(client: httpx.Client) -> int:
        start.wait(timeout=30)
        return client.get("/healthz").status_code

    try:
        with ThreadPoolExecutor(clients) as pool:
            assert set(pool.map(ask, opened)) == {200}
        port = int(served.url.rsplit(":", 1)[1])
        return {pid: established_connections(pid, port) for pid in pids}
    finally:
        for client in opened:
            client.close()


def test_one_web_worker_per_available_cpu_by_default(running):
    assert len(running.web_pids) == len(os.sched_getaffinity(0))
    assert web_worker_pids(running.process.pid) == sorted(running.web_pids)


def test_keep_alive_clients_are_spread_over_every_web_worker(running):
    # Every worker answers, and clients that keep their connection (browsers,
    # API clients, the load benchmark) do not all land on one process and
    # leave the other cores idle.
    held = connections_held(running, running.web_pids)
    assert sum(held.values()) == 24
    assert all(count > 0 for count in held.values()), held


def test_a_burst_of_connections_is_spread_over_every_web_worker(running):
    # Connections that arrive together (a client pool opening, a load test)
    # must not all be taken by the first process to wake up (an event loop
    # accepts everything pending at once: 64/0 was measured). The workers'
    # accept threads take them in turn; three quarters leaves room for a
    # loaded machine that is slow to put a worker back in line.
    port = int(running.url.rsplit(":", 1)[1])
    total = 64
    burst = [socket.socket() for _ in range(total)]
    for connection in burst:  # all SYNs out within a millisecond or so
        connection.setblocking(False)
        connection.connect_ex(("127.0.0.1", port))
    # Only the burst's own connections count, not one an earlier test of
    # this module left open (a keep-alive client the server has not yet seen
    # close: 65 of 64 was measured).
    peers = {connection.getsockname()[1] for connection in burst}
    try:
        deadline = time.monotonic() + 20
        held: dict[int, int] = {}
        while sum(held.values()) < total and time.monotonic() < deadline:
            time.sleep(0.2)
            held = {pid: established_connections(pid, port, peers) for pid in running.web_pids}
    finally:
        for connection in burst:
            connection.close()
    assert sum(held.values()) == total
    assert max(held.values()) <= total * 3 // 4, held


def test_ready_banner_is_printed_once(running):
    assert running.output.count("Terabox CRM is ready") == 1


def test_job_worker_is_started_once_beside_the_web_workers(running):
    jobs = [pid for pid in children(running.process.pid) if pid not in running.web_pids]
    assert jobs == [running.worker_pid]


def test_workers_option_sets_how_many_web_workers_run(serve):
    served = serve("--workers", "3")
    assert len(served.web_pids) == 3
    assert web_worker_pids(served.process.pid) == sorted(served.web_pids)


def test_web_worker_that_dies_is_replaced_and_serves(serve):
    served = serve("--workers", "2")
    dead, survivor = served.web_pids
    os.kill(dead, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = web_worker_pids(served.process.pid)
        if len(now) == 2 and dead not in now:
            break
        time.sleep(0.2)
    assert survivor in now and dead not in now and len(now) == 2
    [replacement] = [pid for pid in now if pid != survivor]
    # It takes connections once it has started.
    deadline = time.monotonic() + 60
    held = {}
    while not held.get(replacement) and time.monotonic() < deadline:
        held = connections_held(served, [replacement, survivor])
        time.sleep(0.5)
    assert held[replacement] > 0, held
    assert f"web worker {dead} exited" in served.output


def test_ctrl_c_leaves_no_process_of_serve_behind(serve):
    served = serve()
    started = descendants(served.process.pid)
    assert len(started) >= 1 + len(served.web_pids)
    assert served.stop(signal.SIGINT) == 0
    assert [pid for pid in started if not wait_gone(pid, 5)] == []


def test_killing_serve_leaves_no_process_behind(serve):
    served = serve()
    started = descendants(served.process.pid)
    os.kill(served.process.pid, signal.SIGKILL)
    served.process.wait()
    assert [pid for pid in started if not wait_gone(pid, 20)] == []


def test_second_api_read_within_a_minute_commits_nothing(serve, tmp_path):
    # From outside: SQLite's data_version moves when another connection
    # commits, so a read that wrote anything (a session, a token's last use,
    # a transaction) would show. No job worker: its periodic jobs may write.
    import sqlite3
    import subprocess

    from serving import COMMAND

    env = clean_env(tmp_path, CRM_PASSWORD="a long owner passphrase 2026")
    for args in (
        ["createowner", "--email", "owner@example.com", "--workspace", "Acme"],
        ["token", "--email", "owner@example.com", "--workspace", "Acme", "--scopes", "read"],
    ):
        done = subprocess.run([COMMAND, *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    served = serve("--no-worker", data_dir=tmp_path)
    database = sqlite3.connect(tmp_path / "db.sqlite3")
    bearer = {"Authorization": f"Bearer {token}"}
    with served.client() as client:
        assert client.get("/api/v1/contacts/", headers=bearer).status_code == 200
        before = database.execute("PRAGMA data_version").fetchone()[0]
        for _ in range(3):
            assert client.get("/api/v1/contacts/", headers=bearer).status_code == 200
        after = database.execute("PRAGMA data_version").fetchone()[0]
    database.close()
    assert after == before


def test_ctrl_c_stops_server_and_worker_leaving_no_process(serve):
    served = serve()
    assert served.worker_pid and alive(served.worker_pid)
    assert served.worker_pid in children(served.process.pid)
    began = time.monotonic()
    assert served.stop(signal.SIGINT) == 0
    assert time.monotonic() - began < 15
    assert wait_gone(served.worker_pid, 5)
    assert "Terabox CRM stopped." in served.output


def test_ctrl_c_stops_serve_started_in_the_background_by_a_script(serve):
    """A shell starts `terabox-crm serve &` with SIGINT ignored; serve must
    still stop on it (it did not, and CI's runner starts jobs that way)."""
    served = serve(sigint_ignored=True)
    assert served.stop(signal.SIGINT) == 0
    assert wait_gone(served.worker_pid, 5)
    assert "Terabox CRM stopped." in served.output


def test_sigterm_stops_server_and_worker(serve):
    served = serve()
    assert served.stop(signal.SIGTERM) == 0
    assert wait_gone(served.worker_pid, 5)


def test_worker_stops_by_itself_when_serve_is_killed(serve):
    served = serve()
    os.kill(served.process.pid, signal.SIGKILL)
    served.process.wait()
    assert wait_gone(served.worker_pid, 20)


def test_second_start_keeps_keys_and_certificate(serve, tmp_path):
    first = serve(data_dir=tmp_path)
    certificate = first.cert_path.read_bytes()
    master = (tmp_path / "keys" / "master.key").read_bytes()
    assert first.stop() == 0
    second = serve(data_dir=tmp_path)
    assert second.cert_path.read_bytes() == certificate
    assert (tmp_path / "keys" / "master.key").read_bytes() == master
    assert "self-signed TLS certificate in use" in second.output
    with second.client() as client:
        assert client.get("/readyz").status_code == 200


def test_start_with_another_master_key_is_refused(serve, tmp_path):
    import base64

    first = serve(data_dir=tmp_path)
    assert first.stop() == 0
    other = base64.b64encode(os.urandom(32)).decode()
    refused = serve(data_dir=tmp_path, wait=False, CRM_MASTER_KEY=other)
    assert refused.process.wait(timeout=60) == 1
    assert "cannot be unwrapped with this master key" in refused.output
    assert "Terabox CRM is ready" not in refused.output


def test_port_already_in_use_fails_with_exit_1(serve, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = serve("--port", str(port), wait=False)
        assert served.process.wait(timeout=60) == 1
    assert "Terabox CRM is ready" not in served.output
    assert f"could not start on 127.0.0.1:{port}" in served.output
    worker = next((WORKER.search(line) for line in served.lines if WORKER.search(line)), None)
    assert worker is not None  # it had been started, and was stopped again
    assert not alive(int(worker.group(1)))


def test_operator_certificate_is_served(serve, tmp_path):
    from datetime import UTC, datetime

    from terabox_crm.ops import tls

    own = tmp_path / "own"
    own.mkdir()
    tls.generate_self_signed(own / "crt.pem", own / "key.pem", now=datetime.now(UTC))
    served = serve(CRM_TLS_CERT=str(own / "crt.pem"), CRM_TLS_KEY=str(own / "key.pem"))
    context = ssl.create_default_context(cafile=str(own / "crt.pem"))
    with httpx.Client(base_url=served.url, verify=context) as client:
        assert client.get("/healthz").status_code == 200
    assert not (served.data_dir / "tls" / "cert.pem").exists()
    assert "self-signed" not in served.output


OUTER_DATABASE = os.environ.get("DATABASE_URL", "")
OUTER_REDIS = os.environ.get("REDIS_URL", "")


@pytest.mark.outer_database
@pytest.mark.skipif(
    not (OUTER_DATABASE.startswith("postgres") and OUTER_REDIS),
    reason="needs PostgreSQL and Redis (the second pass of .ci/run)",
)
def test_serves_on_postgresql_with_jobs_and_cache_on_redis(serve):
    import uuid

    import psycopg

    name = f"tbx_serve_{uuid.uuid4().hex[:12]}"
    base = OUTER_DATABASE.rsplit("/", 1)[0]
    with psycopg.connect(OUTER_DATABASE, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        served = serve(
            DATABASE_URL=f"{base}/{name}",
            REDIS_URL=OUTER_REDIS,
            CRM_CACHE_PREFIX=name,
            CRM_JOBS_NAME=name,
        )
        with served.client() as client:
            ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        served.wait_for(re.compile(r"job worker started .*queue \w*RedisStorage"))
        assert served.stop() == 0
    finally:
        with psycopg.connect(OUTER_DATABASE, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
