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

    def __init__(self, code: str, port: int = 0):
        super().__init__(port=port, redirect=None, host="127.0.0.1",
                         cert_path=Path("c"), key_path=Path("k"))  # fmt: skip
        self.code = code

    def command(self) -> list[str]:
        return [sys.executable, "-c", f"READY_FD = {self._child_ready_fd}\n{self.code}"]


READY_THEN_SLEEP = "import os, time; os.write(READY_FD, b'ready'); time.sleep(60)"


def test_ready_when_every_web_worker_says_so():
    workers = [FakeWebWorker(READY_THEN_SLEEP) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        assert serve.wait_until_ready(workers, timeout=30)
    finally:
        serve.stop_all(workers)


def test_not_ready_when_a_web_worker_exits_while_starting():
    workers = [FakeWebWorker(READY_THEN_SLEEP), FakeWebWorker("raise SystemExit(3)")]
    for worker in workers:
        worker.start()
    try:
        assert not serve.wait_until_ready(workers, timeout=30)
    finally:
        serve.stop_all(workers)


def test_not_ready_when_a_web_worker_never_says_so():
    worker = FakeWebWorker("import time; time.sleep(60)")
    worker.start()
    try:
        assert not serve.wait_until_ready([worker], timeout=0.5)
    finally:
        serve.stop_all([worker])


def test_stop_all_kills_a_web_worker_that_ignores_sigterm(monkeypatch):
    monkeypatch.setenv("CRM_SHUTDOWN_SECONDS", "0")
    worker = FakeWebWorker(
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "os.write(READY_FD, b'ready'); time.sleep(60)"
    )
    worker.start()
    assert serve.wait_until_ready([worker], timeout=30)
    began = time.monotonic()
    serve.stop_all([worker])
    assert worker.process.returncode == -signal.SIGKILL
    assert time.monotonic() - began < 15


@pytest.fixture
def reserved():
    sock = serve.reserve_https_port("127.0.0.1", 0)
    yield sock
    sock.close()


def test_web_workers_each_listen_on_the_reserved_port(reserved):
    port = reserved.getsockname()[1]
    first = serve.listen_on_https_port("127.0.0.1", port)
    second = serve.listen_on_https_port("127.0.0.1", port)
    try:
        assert first.getsockname()[1] == second.getsockname()[1] == port
    finally:
        first.close()
        second.close()


def test_a_port_where_serve_listens_cannot_be_reserved_again(reserved):
    port = reserved.getsockname()[1]
    worker = serve.listen_on_https_port("127.0.0.1", port)
    try:
        with pytest.raises(OSError):
            serve.reserve_https_port("127.0.0.1", port)
    finally:
        worker.close()


def test_a_port_another_program_listens_on_cannot_be_reserved():
    import socket

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(OSError):
            serve.reserve_https_port("127.0.0.1", other.getsockname()[1])


def test_another_program_cannot_take_the_reserved_port(reserved):
    import socket

    with socket.socket() as other, pytest.raises(OSError):
        other.bind(reserved.getsockname())


def test_connections_a_web_worker_accepts_do_not_wait_for_delayed_acks(reserved):
    """TCP_NODELAY on every accepted connection: with Nagle's algorithm on, the
    last segment of each response waited ~40 ms for the client's ACK."""
    import socket

    listener = serve.listen_on_https_port("127.0.0.1", reserved.getsockname()[1])

    async def accept_one() -> int:
        accepted = asyncio.get_running_loop().create_future()

        class Capture(asyncio.Protocol):
            def connection_made(self, transport):
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Capture, sock=listener)
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()

    assert asyncio.run(accept_one()) != 0
