"""The pieces of ``terabox-crm serve`` that can be checked without starting it
(tests/test_serve_process.py starts the real thing)."""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from terabox_crm.env import ConfigurationError
from terabox_crm.ops import serve


def startup(**changes) -> serve.Startup:
    values = dict(
        data_dir=Path("/srv/crm"),
        cert_path=Path("/srv/crm/tls/cert.pem"),
        self_signed=True,
        cert_created=True,
        secret_generated=True,
        master_generated=True,
        signing_generated=True,
        production=False,
        host="127.0.0.1",
    )
    values.update(changes)
    return serve.Startup(**values)


def test_warning_names_every_generated_secret_and_what_production_must_set():
    text = serve.warnings_text(startup())
    assert text.count("WARNING") == 1
    assert "/srv/crm/keys/secret_key" in text
    assert "/srv/crm/keys/master.key" in text
    assert "/srv/crm/keys/audit_signing.pem" in text
    assert "self-signed" in text
    for name in (
        "CRM_SECRET_KEY",
        "CRM_MASTER_KEY",
        "CRM_AUDIT_SIGNING_KEY",
        "CRM_TLS_CERT",
        "CRM_ENV=production",
    ):
        assert name in text


def test_no_warning_when_production_brings_its_own_secrets_and_certificate():
    text = serve.warnings_text(
        startup(
            self_signed=False,
            secret_generated=False,
            master_generated=False,
            signing_generated=False,
            production=True,
        )
    )
    assert text == ""


def test_warning_when_listening_beyond_this_machine():
    text = serve.warnings_text(
        startup(
            self_signed=False,
            secret_generated=False,
            master_generated=False,
            signing_generated=False,
            production=True,
            host="0.0.0.0",  # noqa: S104 - the value under test
        )
    )
    assert "listening on 0.0.0.0" in text


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "https://127.0.0.1:8443/"),
        ("0.0.0.0", "https://127.0.0.1:8443/"),  # noqa: S104 - the value under test
        ("::", "https://[::1]:8443/"),
        ("::1", "https://[::1]:8443/"),
        ("crm.example.com", "https://crm.example.com:8443/"),
    ],
)
def test_printed_url_is_one_a_browser_can_open(host, url):
    assert serve.display_url(host, 8443) == url


def test_tls_context_refuses_anything_older_than_tls_1_2():
    context = serve.ssl_context_factory(None, lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    names = {cipher["name"] for cipher in context.get_ciphers()}
    assert not any("CBC" in name or name.startswith("AES128-SHA") for name in names)
    assert all("ECDHE" in name or name.startswith("TLS_") for name in names)


@pytest.mark.django_db
def test_key_check_creates_the_system_keys():
    from terabox_crm.crypto.models import DataKey

    assert serve.check_keys()
    assert set(DataKey.objects.filter(scope="system").values_list("purpose", flat=True)) == {
        "encryption",
        "index",
    }


@pytest.mark.django_db
def test_key_check_refuses_keys_wrapped_under_another_master_key(capsys):
    from terabox_crm.crypto.models import DataKey

    DataKey.objects.create(
        key_id="f0reign0000000bb",
        scope="some-workspace",
        purpose=DataKey.Purpose.ENCRYPTION,
        wrapped=aes_key_wrap(b"\x03" * 32, b"\x04" * 32),
        kek_id="0123456789abcdef",
    )
    assert not serve.check_keys()
    assert "cannot be unwrapped with this master key" in capsys.readouterr().err


# --- the HTTP → HTTPS redirect listener ------------------------------------------------


class Writer:
    def __init__(self):
        self.data = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True


def redirect(request: bytes) -> str:
    async def go() -> str:
        reader = asyncio.StreamReader()
        reader.feed_data(request)
        reader.feed_eof()
        writer = Writer()
        await serve._answer_redirect(reader, writer, https_port=8443)
        assert writer.closed
        return writer.data.decode("latin-1")

    return asyncio.run(go())


def test_plain_http_is_redirected_to_the_same_path_over_https():
    answer = redirect(b"GET /accounts/login/?next=/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n")
    assert answer.startswith("HTTP/1.1 308 ")
    assert "Location: https://127.0.0.1:8443/accounts/login/?next=/\r\n" in answer


def test_redirect_keeps_an_ipv6_host_bracketed():
    answer = redirect(b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")
    assert "Location: https://[::1]:8443/\r\n" in answer


def test_redirect_refuses_a_host_that_is_not_allowed():
    answer = redirect(b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n")
    assert answer.startswith("HTTP/1.1 400 ")
    assert "Location" not in answer


def test_redirect_refuses_a_scheme_relative_target():
    answer = redirect(b"GET //evil.example/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert answer.startswith("HTTP/1.1 400 ")


def test_redirect_cannot_be_used_to_inject_a_header():
    answer = redirect(b"GET /a\nSet-Cookie:x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert answer.startswith("HTTP/1.1 400 ")
    assert "Set-Cookie" not in answer


def test_redirect_answers_400_to_a_truncated_request():
    assert redirect(b"GET / HTTP/1.1\r\nHost: local").startswith("HTTP/1.1 400 ")


def test_plain_http_trace_is_refused_with_405_not_redirected():
    answer = redirect(b"TRACE /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n")
    assert answer.startswith("HTTP/1.1 405 ")
    assert "Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n" in answer
    assert "Location" not in answer


# --- the embedded worker's supervision -------------------------------------------------


class FakeWorker(serve.WorkerProcess):
    def __init__(self, code: str):
        super().__init__()
        self.code = code
        self.starts = 0

    def command(self) -> list[str]:
        return [sys.executable, "-c", self.code]

    def start(self) -> int:
        self.starts += 1
        return super().start()


def test_worker_that_ignores_sigterm_is_killed_after_the_grace_period():
    worker = FakeWorker(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    )
    worker.start()
    time.sleep(0.3)
    began = time.monotonic()
    worker.stop(grace=0.5)
    assert worker.process.returncode == -signal.SIGKILL
    assert time.monotonic() - began < 5


def test_worker_stops_on_sigterm():
    worker = FakeWorker("import time; time.sleep(60)")
    worker.start()
    worker.stop(grace=5)
    assert worker.process.returncode == -signal.SIGTERM


def test_dead_worker_is_restarted_until_it_keeps_dying():
    worker = FakeWorker("raise SystemExit(3)")
    worker.start()
    for _ in range(serve.WORKER_RESTARTS_PER_WINDOW + 2):
        worker.process.wait()
        worker.check()
    assert worker.given_up
    assert worker.starts == 1 + serve.WORKER_RESTARTS_PER_WINDOW
    worker.stop()


def test_running_worker_is_left_alone():
    worker = FakeWorker("import time; time.sleep(60)")
    pid = worker.start()
    worker.check()
    assert worker.process.pid == pid and worker.starts == 1
    worker.stop()


# --- web workers -----------------------------------------------------------------------


def test_web_workers_default_to_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.delenv("CRM_WEB_WORKERS", raising=False)
    assert serve.web_worker_count(None) == len(os.sched_getaffinity(0))


def test_web_workers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CRM_WEB_WORKERS", "3")
    assert serve.web_worker_count(None) == 3


def test_web_workers_option_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("CRM_WEB_WORKERS", "3")
    assert serve.web_worker_count(5) == 5


@pytest.mark.parametrize("count", [0, -1])
def test_web_workers_below_one_are_refused(count):
    with pytest.raises(ConfigurationError, match="at least 1"):
        serve.web_worker_count(count)


class FakeWebWorker(serve.WebWorkerProcess):
    """A web worker whose program is ``code``; it finds its ready pipe in READY_FD."""

    def __init__(self, code: str, listen):
        super().__init__(listen=listen, redirect=None, host="127.0.0.1",
                         cert_path=Path("c"), key_path=Path("k"),
                         counts=serve.ConnectionCounts.create(1), slot=0)  # fmt: skip
        self.code = code

    def command(self) -> list[str]:
        return [sys.executable, "-c", f"READY_FD = {self._child_ready_fd}\n{self.code}"]


READY_THEN_SLEEP = "import os, time; os.write(READY_FD, b'ready'); time.sleep(60)"


@pytest.fixture
def listen():
    sock = serve.bind("127.0.0.1", 0)
    yield sock
    sock.close()


def test_ready_when_every_web_worker_says_so(listen):
    workers = [FakeWebWorker(READY_THEN_SLEEP, listen) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        assert serve.wait_until_ready(workers, timeout=30)
    finally:
        serve.stop_all(workers)


def test_not_ready_when_a_web_worker_exits_while_starting(listen):
    workers = [
        FakeWebWorker(READY_THEN_SLEEP, listen),
        FakeWebWorker("raise SystemExit(3)", listen),
    ]
    for worker in workers:
        worker.start()
    try:
        assert not serve.wait_until_ready(workers, timeout=30)
    finally:
        serve.stop_all(workers)


def test_not_ready_when_a_web_worker_never_says_so(listen):
    worker = FakeWebWorker("import time; time.sleep(60)", listen)
    worker.start()
    try:
        assert not serve.wait_until_ready([worker], timeout=0.5)
    finally:
        serve.stop_all([worker])


def test_web_worker_inherits_the_listening_socket(listen):
    code = (
        "import os, socket\n"
        f"s = socket.socket(fileno={listen.fileno()})\n"
        "os.write(READY_FD, str(s.getsockname()[1]).encode())\n"
    )
    worker = FakeWebWorker(code, listen)
    worker.start()
    assert os.read(worker.ready_fd, 16) == str(listen.getsockname()[1]).encode()
    assert worker.process.wait(timeout=30) == 0


def test_stop_all_kills_a_web_worker_that_ignores_sigterm(listen, monkeypatch):
    monkeypatch.setenv("CRM_SHUTDOWN_SECONDS", "0")
    worker = FakeWebWorker(
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "os.write(READY_FD, b'ready'); time.sleep(60)",
        listen,
    )
    worker.start()
    assert serve.wait_until_ready([worker], timeout=30)
    began = time.monotonic()
    serve.stop_all([worker])
    assert worker.process.returncode == -signal.SIGKILL
    assert time.monotonic() - began < 15


def test_a_port_another_program_listens_on_is_refused():
    import socket

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(OSError):
            serve.bind("127.0.0.1", other.getsockname()[1])


def test_accepted_connections_do_not_wait_for_delayed_acks(listen):
    """TCP_NODELAY on every accepted connection: with Nagle's algorithm on, the
    last segment of each response waited ~40 ms for the client's ACK."""
    import socket

    with socket.create_connection(listen.getsockname(), timeout=10):
        accepted, _ = listen.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            assert accepted.proto == socket.IPPROTO_TCP  # asyncio sets it again only then


# --- the web worker's accept thread ------------------------------------------------------


def _acceptors(listen, count: int):
    """``count`` Acceptors on one socket and one set of counts, as ``count``
    workers would have; the connections each took are collected per acceptor."""
    import asyncio

    from terabox_crm.ops.web_worker import Acceptor

    loop = asyncio.new_event_loop()
    counts = serve.ConnectionCounts.create(count)
    taken: list[list] = [[] for _ in range(count)]
    acceptors = [
        Acceptor(listen, loop, taken[i].append, lambda: None, counts=counts, slot=i)
        for i in range(count)
    ]
    return loop, counts, taken, acceptors


def _take_burst(listen, acceptors, taken, loop, total: int) -> list[int]:
    import asyncio
    import socket

    for acceptor in acceptors:
        acceptor.start()
    clients = []
    try:
        time.sleep(0.2)  # every acceptor waits in accept()
        burst = [socket.socket() for _ in range(total)]
        for client in burst:  # all connections arrive within a millisecond or so
            client.setblocking(False)
            client.connect_ex(listen.getsockname())
        clients += burst
        deadline = time.monotonic() + 10
        while sum(len(t) for t in taken) < total and time.monotonic() < deadline:
            loop.run_until_complete(asyncio.sleep(0.05))
    finally:
        for acceptor in acceptors:
            acceptor.stop()
        for acceptor in acceptors:
            acceptor.thread.join(5)  # before the socket closes under them
        for client in clients:
            client.close()
    for connection in [c for t in taken for c in t]:
        connection.close()
    loop.close()
    return sorted(len(t) for t in taken)


def test_a_burst_of_connections_is_shared_evenly_by_the_accepting_workers(listen):
    loop, _counts, taken, acceptors = _acceptors(listen, 2)
    fewer, more = _take_burst(listen, acceptors, taken, loop, 16)
    # 8/8 on a quiet machine; a thread kept off the CPU past its turn may cost one.
    assert fewer + more == 16 and more - fewer <= 2, (fewer, more)


def test_a_worker_holding_more_connections_lets_the_other_take_the_next(listen):
    loop, counts, taken, acceptors = _acceptors(listen, 2)
    counts_before_start = acceptors[0].start
    # The first worker already holds five connections (its count is set once it starts).
    acceptors[0].start = lambda: (counts_before_start(), counts.set(0, 5))
    fewer, more = _take_burst(listen, acceptors, taken, loop, 11)
    assert (len(taken[0]), len(taken[1])) == (fewer, more)  # the one holding five took fewer
    assert more >= 7, (fewer, more)  # five to catch up, then in turn (8 on a quiet machine)


def test_a_worker_that_does_not_accept_does_not_hold_the_others_up(listen):
    loop, counts, taken, acceptors = _acceptors(listen, 2)
    counts.set(1, 0)  # a peer that claims no connection but never accepts (stuck)
    began = time.monotonic()
    assert _take_burst(listen, acceptors[:1], taken, loop, 10) == [0, 10]
    assert time.monotonic() - began < 5


def test_acceptor_stops_within_its_wake_interval(listen):
    from terabox_crm.ops.web_worker import ACCEPT_WAKE_SECONDS

    loop, counts, _taken, [acceptor] = _acceptors(listen, 1)
    acceptor.start()
    acceptor.stop()
    acceptor.thread.join(ACCEPT_WAKE_SECONDS * 4)
    assert not acceptor.thread.is_alive()
    assert counts.get(0) == serve.ConnectionCounts.GONE  # nobody waits for it any more
    loop.close()


def test_connection_counts_are_shared_through_the_descriptor():
    counts = serve.ConnectionCounts.create(3)
    other = serve.ConnectionCounts(counts.fd, 3)  # what a web worker maps
    other.set(1, 4)
    counts.set(2, 7)
    assert counts.get(1) == 4
    assert other.fewest_elsewhere(1) == 7  # slot 0 has not started: GONE
