"""``terabox-crm serve``: the product on HTTPS, one web process per core, with
an embedded job worker (docs/decisions/0009-serve-processes.md).

What a start does, in order:

1. migrate the database (``prepare``), so an upgrade needs no hand work —
   once, here, before any worker process exists;
2. make sure the keys exist (the secret key, master key and audit signing key
   are generated into the data dir when the environment does not provide
   them; production refuses to start without them) and that every
   stored data key unwraps with this master key — a server that cannot read
   its own data refuses to start instead of failing request by request;
3. find the TLS certificate: the operator's (``CRM_TLS_CERT``/``CRM_TLS_KEY``)
   or a self-signed one generated on first run (``ops/tls.py``);
4. print a warning for everything that is fine for a trial but not for
   production; ``--demo`` seeds the demo workspace (``ops/demo.py``);
5. start the job worker as a child process (``terabox-crm worker``), bind the
   HTTPS socket (and, with ``--http-port``, a plain-HTTP socket that only
   redirects to HTTPS), and start the web workers on them
   (``ops/web_worker.py``): ``--workers N``, else ``CRM_WEB_WORKERS``, else
   one per CPU this process may run on. Django's views are synchronous: one
   process answers one request at a time, so the processes are what use the
   cores. The banner is printed once every web worker accepts connections.

This process then only supervises: a web or job worker that dies is started
again (unless it keeps dying). Ctrl-C or SIGTERM stops the web workers and
the job worker (SIGTERM, then SIGKILL if one has not stopped in time) and
exits 0; a second Ctrl-C kills them at once. Every child also watches for
its parent's disappearance, so even ``kill -9`` of ``serve`` leaves no
orphan.

No access log: it would put client addresses and URLs (which may hold search
terms) in clear in the logs; sign-ins and sensitive actions are in the audit
trail with the address encrypted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import mmap
import os
import select
import signal
import socket
import ssl
import struct
import subprocess  # nosec B404  # starts only this program's own commands, with fixed argv
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from terabox_crm.env import ConfigurationError, env_bool, env_int, env_secret, env_str

log = logging.getLogger("terabox_crm.serve")

WORKER_STOP_GRACE = 15.0  # seconds after SIGTERM before the worker is killed
WORKER_RESTARTS_PER_WINDOW = 5
WORKER_RESTART_WINDOW = 300.0
WEB_READY_TIMEOUT = 120.0  # seconds for every web worker to import Django and listen
SUPERVISE_EVERY = 0.5  # seconds between two looks at the children
LISTEN_BACKLOG = 2048  # uvicorn's default
MODERN_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"


class Stopped(Exception):
    """SIGTERM arrived: leave through ``finally`` so the worker is stopped too."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terabox-crm serve",
        description="Migrate, create keys and a certificate on first run, then serve HTTPS "
        "with an embedded job worker. Ctrl-C stops it.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8443, help="HTTPS port (0: any free port)")
    parser.add_argument(
        "--http-port",
        type=int,
        default=None,
        help="also listen for plain HTTP on this port, only to redirect to HTTPS",
    )
    parser.add_argument(
        "--demo", action="store_true", help="seed a demo workspace and print its sign-in"
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start the embedded job worker (run `terabox-crm worker` separately)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="web worker processes (default: CRM_WEB_WORKERS, else one per CPU available)",
    )
    return parser


def web_worker_count(requested: int | None) -> int:
    """``--workers``, else ``CRM_WEB_WORKERS``, else the CPUs this process may run on."""
    count = requested if requested is not None else env_int("CRM_WEB_WORKERS", 0)
    if requested is None and not count:
        count = len(os.sched_getaffinity(0))
    if count < 1:
        raise ConfigurationError("--workers (CRM_WEB_WORKERS) must be at least 1")
    return count


@dataclass
class Startup:
    """What the start found, for the banners."""

    data_dir: Path
    cert_path: Path
    self_signed: bool
    cert_created: bool
    secret_generated: bool
    master_generated: bool
    signing_generated: bool
    production: bool
    host: str


def key_problems() -> list[str]:
    """What stops this master key from reading the stored keys, in words an
    operator acts on: which master key the data keys (and the erasure-ledger
    key file) are wrapped under, and which one is configured. Ids name keys,
    they never reveal them."""
    from terabox_crm.crypto import keyring
    from terabox_crm.erasure import keys as ledger_keys

    kek_id, _raw = keyring.configured()
    source = keyring.configured_source().describe()
    accepted = keyring.accepted()
    problems = [
        f"{count} data key(s) are wrapped under master key {foreign}, "
        f"the configured key is {kek_id} ({source})"
        for foreign, count in sorted(keyring.foreign_kek_counts().items())
    ]
    try:
        ledger_kek = ledger_keys.wrapped_under()
    except keyring.KeyUnavailable as exc:
        problems.append(str(exc))
    else:
        if ledger_kek is not None and ledger_kek not in accepted:
            problems.append(
                f"the erasure-ledger key is wrapped under master key {ledger_kek}, "
                f"the configured key is {kek_id} ({source})"
            )
    if not problems:
        # Same master key id, yet a key may still not unwrap (a damaged row).
        problems = keyring.check_all_keys()
    return problems


def check_keys() -> bool:
    """False (and says why) when stored keys do not unwrap; else make sure the system keys exist."""
    from terabox_crm.crypto import keyring

    keyring.kek()
    problems = key_problems()
    if problems:
        refuse_master_key(problems)
        return False
    keyring.active_key(keyring.SYSTEM_SCOPE, "encryption")
    keyring.active_key(keyring.SYSTEM_SCOPE, "index")
    from terabox_crm.audit import signing

    signing.current()  # the audit checkpoint key: generated, or refused in production
    return True


def refuse_master_key(problems: list[str]) -> None:
    print(
        "terabox-crm serve: the stored keys cannot be unwrapped with this master key. "
        "Refusing to start.",
        file=sys.stderr,
    )
    for problem in problems[:5]:
        # Key ids and master-key ids are not secret: they name, never reveal.
        print(f"  - {problem}", file=sys.stderr)
    print(
        "Is the master key (CRM_MASTER_KEY, CRM_MASTER_KEY_FILE, CRM_MASTER_KEY_COMMAND or "
        "keys/master.key in the data dir) the one this database was created with? "
        "`terabox-crm keys status` lists the keys (docs/operations.md, Keys).",
        file=sys.stderr,
    )


def warnings_text(startup: Startup) -> str:
    lines = []
    if startup.secret_generated:
        lines.append(f"- secret key generated into {startup.data_dir / 'keys' / 'secret_key'}")
    if startup.master_generated:
        lines.append(
            f"- master key generated into {startup.data_dir / 'keys' / 'master.key'}"
            " (back it up apart from the data: without it the encrypted data is lost)"
        )
    if startup.signing_generated:
        lines.append(
            f"- audit signing key generated into {startup.data_dir / 'keys' / 'audit_signing.pem'}"
        )
    if startup.self_signed:
        made = "generated" if startup.cert_created else "in use"
        lines.append(
            f"- self-signed TLS certificate {made}: {startup.cert_path}"
            " (browsers will warn until you trust it)"
        )
    if not startup.production:
        lines.append("- CRM_ENV is not 'production'")
    if startup.host not in {"127.0.0.1", "localhost", "::1"}:
        lines.append(f"- listening on {startup.host}, not only on this machine")
    if not lines:
        return ""
    bar = "=" * 78
    return "\n".join(
        [
            bar,
            "WARNING: this server runs with settings meant for a trial on this machine",
            *lines,
            "Production must set CRM_SECRET_KEY, CRM_MASTER_KEY, CRM_AUDIT_SIGNING_KEY,",
            "CRM_TLS_CERT/CRM_TLS_KEY, CRM_ALLOWED_HOSTS and CRM_ENV=production",
            "(see docs/operations.md).",
            bar,
        ]
    )


def display_url(host: str, port: int, path: str = "/") -> str:
    if host in {"", "0.0.0.0"}:  # noqa: S104 - naming the wildcard, not binding to it  # nosec B104
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"https://{host}:{port}{path}"


# --- the embedded job worker -------------------------------------------------------------


class WorkerProcess:
    """The ``terabox-crm worker`` child: started, watched, restarted, stopped."""

    label = "job worker"

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self._restarts: list[float] = []
        self.given_up = False

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "terabox_crm.cli",
            "worker",
            "--parent-pid",
            str(os.getpid()),
        ]

    def start(self) -> int:
        # A session of its own: Ctrl-C in the terminal reaches serve only, and
        # serve decides how the worker stops (gracefully, with SIGTERM).
        self.process = subprocess.Popen(self.command(), start_new_session=True)  # noqa: S603  # nosec B603  # our own interpreter and module, no shell, no outside input
        return self.process.pid

    def check(self) -> None:
        """Restart a worker that died, unless it keeps dying."""
        if self.process is None or self.given_up or self.process.poll() is None:
            return
        now = time.monotonic()
        self._restarts = [t for t in self._restarts if now - t < WORKER_RESTART_WINDOW]
        if len(self._restarts) >= WORKER_RESTARTS_PER_WINDOW:
            log.error(
                "%s exited %s times in %s s; not restarting it (see its log above)",
                self.label,
                len(self._restarts),
                int(WORKER_RESTART_WINDOW),
            )
            self.given_up = True
            return
        log.warning(
            "%s %s exited with %s; restarting it",
            self.label,
            self.process.pid,
            self.process.returncode,
        )
        self._restarts.append(now)
        self.start()

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM: let running work finish); ``wait`` reaps it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        """Wait until ``deadline`` (monotonic) for it to stop, then kill it."""
        process = self.process
        if process is None:
            return
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s %s did not stop in time; killing it", self.label, process.pid)
            process.kill()
            process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self, grace: float = WORKER_STOP_GRACE) -> None:
        self.terminate()
        self.wait(time.monotonic() + grace)


class ConnectionCounts:
    """How many connections each web worker holds, in memory they all share.

    ``serve`` creates it (a memfd, one slot per worker) and passes it to
    every web worker; a worker's accept thread takes the next connection only
    when its worker holds no more than the others (ops/web_worker.py,
    ``Acceptor``), so keep-alive clients end up spread evenly. A slot reads
    ``GONE`` while its worker is not accepting (starting, stopping, dead), so
    nobody waits for it.
    """

    GONE = 2**31 - 1
    SLOT = struct.Struct("i")

    def __init__(self, fd: int, slots: int) -> None:
        self.fd = fd
        self.slots = slots
        self.memory = mmap.mmap(fd, self.SLOT.size * slots)

    @classmethod
    def create(cls, slots: int) -> ConnectionCounts:
        fd = os.memfd_create("terabox-crm-connections", 0)
        os.ftruncate(fd, cls.SLOT.size * slots)
        counts = cls(fd, slots)
        for slot in range(slots):
            counts.set(slot, cls.GONE)
        return counts

    def set(self, slot: int, held: int) -> None:
        self.SLOT.pack_into(self.memory, self.SLOT.size * slot, held)

    def get(self, slot: int) -> int:
        return self.SLOT.unpack_from(self.memory, self.SLOT.size * slot)[0]

    def fewest_elsewhere(self, slot: int) -> int:
        return min((self.get(other) for other in range(self.slots) if other != slot),
                   default=self.GONE)  # fmt: skip


class WebWorkerProcess(WorkerProcess):
    """One web worker (``ops/web_worker.py``) on the sockets ``serve`` bound.

    Each start gets a new pipe on which the worker writes one line once it
    accepts connections (``ready_fd`` is this end of it).
    """

    label = "web worker"

    def __init__(self, *, listen: socket.socket, redirect: socket.socket | None, host: str,
                 cert_path: Path, key_path: Path, counts: ConnectionCounts,
                 slot: int) -> None:  # fmt: skip
        super().__init__()
        self.listen = listen
        self.redirect = redirect
        self.counts = counts
        self.slot = slot
        self.host = host
        self.cert_path = cert_path
        self.key_path = key_path
        self.ready_fd: int | None = None
        self._child_ready_fd: int | None = None

    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "terabox_crm.ops.web_worker",
            "--listen-fd",
            str(self.listen.fileno()),
            "--ready-fd",
            str(self._child_ready_fd),
            "--parent-pid",
            str(os.getpid()),
            "--host",
            self.host,
            "--cert",
            str(self.cert_path),
            "--key",
            str(self.key_path),
            "--counts-fd",
            str(self.counts.fd),
            "--slots",
            str(self.counts.slots),
            "--slot",
            str(self.slot),
        ]
        if self.redirect is not None:
            command += ["--redirect-fd", str(self.redirect.fileno())]
        return command

    def start(self) -> int:
        if self.ready_fd is not None:
            os.close(self.ready_fd)
        self.ready_fd, self._child_ready_fd = os.pipe()
        self.counts.set(self.slot, ConnectionCounts.GONE)  # until it accepts
        fds = [self.listen.fileno(), self._child_ready_fd, self.counts.fd]
        if self.redirect is not None:
            fds.append(self.redirect.fileno())
        try:
            self.process = subprocess.Popen(  # noqa: S603  # nosec B603  # our own interpreter and module, no shell, no outside input
                self.command(), start_new_session=True, pass_fds=fds
            )
        finally:
            os.close(self._child_ready_fd)
        return self.process.pid

    def check(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            self.counts.set(self.slot, ConnectionCounts.GONE)  # nobody waits for it
        super().check()


def wait_until_ready(workers: list[WebWorkerProcess], timeout: float) -> bool:
    """True once every worker has said it accepts connections; False if one exits first."""
    waiting = {worker.ready_fd: worker for worker in workers}
    deadline = time.monotonic() + timeout
    while waiting:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            log.error("web workers did not start within %s s", int(timeout))
            return False
        readable, _, _ = select.select(list(waiting), [], [], remaining)
        for fd in readable:
            worker = waiting.pop(fd)
            if not os.read(fd, 64):  # end of file: it exited without being ready
                log.error("web worker %s exited while starting", worker.process.pid)
                return False
    return True


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket the web workers inherit and all accept on.

    Created as ``IPPROTO_TCP`` with ``TCP_NODELAY``, which accepted
    connections inherit: with Nagle's algorithm on, a response's last segment
    waited for the client's delayed ACK, 40 ms more per request (asyncio turns
    it off only on sockets that say they are TCP).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


# --- plain HTTP → HTTPS ------------------------------------------------------------------


async def _answer_redirect(reader, writer, *, https_port: int) -> None:
    """Answer one plain-HTTP request with a redirect to the same path over HTTPS.

    Only hosts in ALLOWED_HOSTS are redirected to, so the listener cannot be
    used to bounce a browser to somewhere else. A method outside HTTP's
    standard ones (TRACE) gets 405 here too, as on HTTPS (core/methods.py).
    """
    from django.conf import settings
    from django.http.request import split_domain_port, validate_host

    from terabox_crm.core.methods import STANDARD

    status, location, allow = "400 Bad Request", "", ""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        target = parts[1] if len(parts) == 3 else ""
        if len(parts) == 3 and parts[0] not in STANDARD:
            status, allow, target = "405 Method Not Allowed", ", ".join(STANDARD), ""
        host_header = next(
            (
                value.strip()
                for name, _, value in (line.partition(":") for line in lines[1:])
                if name.strip().lower() == "host"
            ),
            "",
        )
        domain, _port = split_domain_port(host_header)
        if (
            target.startswith("/")
            and not target.startswith("//")
            # Visible ASCII only: nothing can end the Location header early.
            and all(33 <= ord(char) < 127 for char in target)
            and domain
            and validate_host(domain, settings.ALLOWED_HOSTS)
        ):
            suffix = "" if https_port == 443 else f":{https_port}"
            status, location = "308 Permanent Redirect", f"https://{domain}{suffix}{target}"
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        pass
    headers = [f"HTTP/1.1 {status}", "Content-Length: 0", "Connection: close"]
    if location:
        headers.append(f"Location: {location}")
    if allow:
        headers.append(f"Allow: {allow}")
    try:
        writer.write(("\r\n".join(headers) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


def ssl_context_factory(config, default_factory) -> ssl.SSLContext:
    """uvicorn's context, held to TLS 1.2+ and forward-secret AEAD ciphers."""
    context = default_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(MODERN_CIPHERS)  # TLS 1.3 suites are always the modern ones
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    return context


def uvicorn_config(*, host: str, port: int, cert_path: Path, key_path: Path):
    import uvicorn

    behind_proxy = env_bool("CRM_BEHIND_PROXY", False)
    return uvicorn.Config(
        "terabox_crm.asgi:application",
        host=host,
        port=port,
        ssl_certfile=str(cert_path),
        ssl_keyfile=str(key_path),
        ssl_context_factory=ssl_context_factory,
        lifespan="off",  # Django's ASGI handler does not speak lifespan
        # Trust X-Forwarded-* only from the operator's proxy (CRM_BEHIND_PROXY).
        proxy_headers=behind_proxy,
        forwarded_allow_ips=env_str("CRM_FORWARDED_ALLOW_IPS", "127.0.0.1") or None,
        server_header=False,
        date_header=True,
        access_log=False,
        log_level=env_str("CRM_LOG_LEVEL", "INFO").lower(),
        timeout_graceful_shutdown=env_int("CRM_SHUTDOWN_SECONDS", 10),
        limit_concurrency=env_int("CRM_MAX_CONNECTIONS", 1000) or None,
    )


def _raise_stopped(signum, frame) -> None:
    raise Stopped


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from terabox_crm.crypto import keyring

    try:
        workers = web_worker_count(args.workers)
        from terabox_crm.ops.bootstrap import prepare

        # Migrations may already read encrypted data: a wrong master key can
        # show up here first.
        prepare()
        from django.conf import settings
        from django.db import connections

        from terabox_crm.audit import signing
        from terabox_crm.ops import tls

        if not check_keys():
            return 1
        certificate = tls.ensure_certificate()
    except ConfigurationError as exc:
        print(f"terabox-crm serve: {exc}", file=sys.stderr)
        return 2
    except keyring.KeyUnavailable as exc:
        refuse_master_key([str(exc)])
        return 1
    except KeyboardInterrupt:
        print("terabox-crm serve: interrupted while starting", file=sys.stderr)
        return 130

    startup = Startup(
        data_dir=Path(settings.DATA_DIR),
        cert_path=certificate.cert_path,
        self_signed=certificate.self_signed,
        cert_created=certificate.created,
        secret_generated=not env_secret("CRM_SECRET_KEY"),
        master_generated=keyring.master_key_is_generated(),
        signing_generated=signing.signing_key_is_generated(),
        production=settings.PRODUCTION,
        host=args.host,
    )
    warning = warnings_text(startup)
    if warning:
        print(warning, file=sys.stderr, flush=True)

    demo = None
    if args.demo:
        from terabox_crm.ops.demo import seed_demo

        demo = seed_demo()
    connections.close_all()  # the server's threads open their own

    def on_ready(port: int, http_port: int | None, web: list[WebWorkerProcess]) -> None:
        lines = [f"Terabox CRM is ready: {display_url(args.host, port)}"]
        if certificate.self_signed:
            lines.append(f"  certificate SHA-256 {tls.fingerprint(certificate.cert_path)}")
        if http_port is not None:
            lines.append(f"  http://…:{http_port}/ redirects to HTTPS")
        pids = ", ".join(str(w.process.pid) for w in web)
        lines.append(f"  web workers: {len(web)} (pids {pids})")
        if demo is not None:
            lines += demo_banner(demo, display_url(args.host, port, "/accounts/login/"))
        lines.append("Press Ctrl-C to stop.")
        print("\n".join(lines), flush=True)

    from huey.contrib.djhuey import HUEY

    worker = None
    if args.no_worker:
        print("No embedded job worker (--no-worker): run `terabox-crm worker`.", flush=True)
    elif HUEY.immediate:
        print("Jobs run inline (CRM_JOBS_IMMEDIATE=true): no job worker started.", flush=True)
    else:
        worker = WorkerProcess()

    web: list[WebWorkerProcess] = []
    sockets: list[socket.socket] = []
    previous_term = signal.signal(signal.SIGTERM, _raise_stopped)
    # Ctrl-C (SIGINT) stops serve however it was started: a shell starts a
    # background job (`terabox-crm serve &` in a script, CI runners) with
    # SIGINT ignored, and Python then leaves it ignored — `kill -INT` did
    # nothing at all.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if worker is not None:
            pid = worker.start()
            print(f"Job worker started (pid {pid}).", flush=True)
        try:
            listen = bind(args.host, args.port)
            sockets.append(listen)
            port = listen.getsockname()[1]
            redirect = None
            if args.http_port is not None:
                redirect = bind(args.host, args.http_port)
                sockets.append(redirect)
        except OSError as exc:
            print(
                f"terabox-crm serve: could not start on {args.host}:{args.port}: {exc}",
                file=sys.stderr,
                flush=True,
            )
            return 1
        counts = ConnectionCounts.create(workers)
        web = [
            WebWorkerProcess(
                listen=listen,
                redirect=redirect,
                host=args.host,
                cert_path=certificate.cert_path,
                key_path=certificate.key_path,
                counts=counts,
                slot=slot,
            )
            for slot in range(workers)
        ]
        for process in web:
            process.start()
        if not wait_until_ready(web, WEB_READY_TIMEOUT):
            print(
                f"terabox-crm serve: could not start on {args.host}:{args.port} "
                "(see the error above)",
                file=sys.stderr,
                flush=True,
            )
            return 1
        on_ready(
            port,
            redirect.getsockname()[1] if redirect is not None else None,
            web,
        )
        return supervise(web, worker)
    except (KeyboardInterrupt, Stopped):
        return 0
    finally:
        # A second SIGTERM must not cut the stop short; a second Ctrl-C kills at once.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        children = [*web, *([worker] if worker is not None else [])]
        try:
            stop_all(children)
        except KeyboardInterrupt:
            for child in children:
                child.kill()
        for sock in sockets:
            sock.close()
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)
        print("Terabox CRM stopped.", flush=True)


def supervise(web: list[WebWorkerProcess], worker: WorkerProcess | None) -> int:
    """Keep the workers running until a signal ends ``serve`` (or no web worker stays up)."""
    while True:
        time.sleep(SUPERVISE_EVERY)
        for process in web:
            process.check()
        if all(process.given_up for process in web):
            log.error("no web worker stays up; stopping")
            return 1
        if worker is not None:
            worker.check()


def stop_all(children: list[WorkerProcess]) -> None:
    """SIGTERM to every child at once, then wait for each within its grace period."""
    for child in children:
        child.terminate()
    began = time.monotonic()
    web_grace = env_int("CRM_SHUTDOWN_SECONDS", 10) + 5.0  # uvicorn's own grace, and exit
    for child in children:
        grace = web_grace if isinstance(child, WebWorkerProcess) else WORKER_STOP_GRACE
        child.wait(began + grace)


def demo_banner(demo, login_url: str) -> list[str]:
    what = "created" if demo.created else "found"
    lines = [
        "",
        f"Demo workspace “{demo.workspace_name}” {what}. Sign in at {login_url}",
        f"  email:    {demo.email}",
        f"  password: {demo.password}",
        "  (a new password is made at every --demo start and shown only here;",
        "   only its hash is stored)",
        "  Two-factor sign-in (TOTP) is required: the first sign-in asks you to enrol",
        "  an authenticator app and shows one-time recovery codes.",
        "  Colleagues in the workspace (they cannot sign in; for the members page):",
    ]
    lines += [f"    {c.role:<8} {c.display_name} <{c.email}>" for c in demo.colleagues]
    lines.append("")
    return lines
