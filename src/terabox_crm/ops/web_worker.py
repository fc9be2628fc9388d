"""One web worker process of ``terabox-crm serve`` (docs/decisions/0009-serve-processes.md).

``serve`` binds the HTTPS socket (and the plain-HTTP redirect socket) once,
then starts one of these per core with ``python -m terabox_crm.ops.web_worker``,
passing the sockets as inherited file descriptors. Each runs uvicorn on
Django's ASGI application and answers the redirect listener too.

Connections are taken by a thread blocked in ``accept()`` on the shared
HTTPS socket (``Acceptor``), not by the event loop, and only when this worker
holds no more connections than the others (``serve.ConnectionCounts``, shared
memory): least connections. An event loop accepts everything pending each
time it wakes, so the first worker to wake took a whole burst of keep-alive
clients (measured: 16 of 16, the other core idle); ``SO_REUSEPORT`` spreads
them by a hash, which put 12 or 13 of 16 clients on one of two workers often
enough to take the p99 past twice the mean (ADR 0009). A worker that holds more waits at most
``TURN_WAIT_SECONDS`` for another to take the connection, so a stuck peer
slows new connections a little and never stops them.

It tells ``serve`` it is ready by writing a line to ``--ready-fd`` once it
accepts connections, so the banner appears only when every worker serves.
It stops gracefully on SIGTERM (what ``serve`` sends), and stops by itself
when ``serve`` is no longer its parent, so even ``kill -9`` of ``serve``
leaves no process behind. Not a command for operators.
"""

from __future__ import annotations

import signal
import sys


def _stop_before_start(signum, frame) -> None:
    raise KeyboardInterrupt


# Before anything else: until uvicorn installs its own handlers, SIGTERM
# simply ends the process (nothing is being served yet).
signal.signal(signal.SIGTERM, _stop_before_start)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import errno  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

log = logging.getLogger("terabox_crm.serve")

PARENT_CHECK_TICKS = 10  # uvicorn ticks every 0.1 s: look for the parent once a second
TURN_WAIT_SECONDS = 0.02  # longest a worker holding more lets the others take a connection
ACCEPT_WAKE_SECONDS = 0.5  # how often a blocked accept wakes to see whether to stop
# Out of descriptors or memory: wait before accepting again (asyncio does the same).
ACCEPT_RESOURCE_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m terabox_crm.ops.web_worker")
    parser.add_argument("--listen-fd", type=int, required=True)
    parser.add_argument("--redirect-fd", type=int, default=None)
    parser.add_argument("--ready-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--cert", type=Path, required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--counts-fd", type=int, required=True)
    parser.add_argument("--slots", type=int, required=True)
    parser.add_argument("--slot", type=int, required=True)
    return parser


class Acceptor:
    """A thread that accepts connections on ``listen`` and gives each to ``take``
    on the event loop ``loop``, when this worker's turn comes.

    The socket is shared by every worker and left blocking. Before each
    accept the thread waits (up to ``TURN_WAIT_SECONDS``) while this worker
    holds more connections than another (``counts``, slot ``slot``), and it
    counts a connection as held as soon as it has it, so a burst of
    connections alternates between the workers. ``SO_RCVTIMEO`` wakes a
    blocked accept every ``ACCEPT_WAKE_SECONDS`` to see whether it should
    stop (the socket cannot be closed or shut down from here: the other
    workers accept on it too).
    """

    def __init__(self, listen: socket.socket, loop: asyncio.AbstractEventLoop, take, fail,
                 *, counts, slot: int) -> None:  # fmt: skip
        self.listen = listen
        self.loop = loop
        self.take = take
        self.fail = fail  # called on the loop if accepting breaks: the worker must then go
        self.counts = counts
        self.slot = slot
        self.stopping = threading.Event()
        seconds = int(ACCEPT_WAKE_SECONDS)
        micros = int((ACCEPT_WAKE_SECONDS - seconds) * 1_000_000)
        listen.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", seconds, micros))
        self.thread = threading.Thread(target=self.run, name="acceptor", daemon=True)

    def start(self) -> None:
        self.counts.set(self.slot, 0)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.counts.set(self.slot, self.counts.GONE)  # nobody waits for a worker that stops

    def wait_turn(self) -> None:
        deadline = time.monotonic() + TURN_WAIT_SECONDS
        while (
            self.counts.get(self.slot) > self.counts.fewest_elsewhere(self.slot)
            and time.monotonic() < deadline
        ):
            time.sleep(TURN_WAIT_SECONDS / 5)

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wait_turn()
            try:
                connection, _address = self.listen.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue  # the periodic wake, a signal, or a client that gave up
            except OSError as exc:
                if exc.errno in ACCEPT_RESOURCE_ERRORS:
                    log.error("web worker cannot accept connections: %s", exc)
                    time.sleep(1)
                    continue
                if self.stopping.is_set():
                    return
                # A worker that no longer accepts must not stay up: serve replaces it.
                log.error("web worker stops accepting connections: %s", exc)
                with contextlib.suppress(RuntimeError):  # the loop has closed already
                    self.loop.call_soon_threadsafe(self.fail)
                return
            if self.stopping.is_set():
                connection.close()  # accepted as the worker stops: the client retries
                return
            held = self.counts.get(self.slot)
            self.counts.set(self.slot, held + 1)
            try:
                self.loop.call_soon_threadsafe(self.take, connection)
            except RuntimeError:  # the loop has closed
                connection.close()
                return


def server_class():
    import uvicorn

    from terabox_crm.ops.serve import _answer_redirect

    class Server(uvicorn.Server):
        """uvicorn's server on connections from an ``Acceptor``, plus the redirect
        listener, the ready line and the parent watch."""

        def __init__(self, config, *, listen, redirect_socket, ready_fd: int, parent_pid: int,
                     counts, slot: int):  # fmt: skip
            super().__init__(config)
            self.listen = listen
            self.counts = counts
            self.slot = slot
            self.redirect_socket = redirect_socket
            self.redirect_server = None
            self.acceptor: Acceptor | None = None
            self.handshakes: set[asyncio.Task] = set()
            self.ready_fd = ready_fd
            self.parent_pid = parent_pid

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=[])  # no listener of uvicorn's own: the Acceptor's
            if not self.started:  # pragma: no cover - uvicorn exits on failure
                return
            loop = asyncio.get_running_loop()
            if self.redirect_socket is not None:
                https_port = self.listen.getsockname()[1]

                async def handle(reader, writer):
                    await _answer_redirect(reader, writer, https_port=https_port)

                self.redirect_server = await asyncio.start_server(
                    handle, sock=self.redirect_socket, limit=16 * 1024
                )
            self.acceptor = Acceptor(
                self.listen, loop, self.take, self.stop_serving, counts=self.counts, slot=self.slot
            )
            self.acceptor.start()
            os.write(self.ready_fd, b"ready\n")
            os.close(self.ready_fd)

        def create_protocol(self, _loop=None):
            # What uvicorn's own listener builds for each connection.
            return self.config.http_protocol_class(
                config=self.config,
                server_state=self.server_state,
                app_state=self.lifespan.state,
                _loop=_loop,
            )

        def stop_serving(self) -> None:
            self.should_exit = True

        def take(self, connection: socket.socket) -> None:
            """Serve one accepted connection (on the event loop's thread)."""
            if self.should_exit:
                connection.close()
                return
            connection.setblocking(False)
            task = asyncio.get_running_loop().create_task(self.handshake(connection))
            self.handshakes.add(task)
            task.add_done_callback(self.handshakes.discard)

        async def handshake(self, connection: socket.socket) -> None:
            try:
                await asyncio.get_running_loop().connect_accepted_socket(
                    self.create_protocol, connection, ssl=self.config.ssl
                )
            except OSError as exc:  # a client that left mid-handshake (timeouts included)
                log.debug("TLS handshake failed: %s", exc)
                connection.close()

        async def on_tick(self, counter: int) -> bool:
            if self.acceptor is not None and not self.acceptor.stopping.is_set():
                # The true count, every tick: the accept thread only adds.
                held = len(self.server_state.connections) + len(self.handshakes)
                self.counts.set(self.slot, held)
            if counter % PARENT_CHECK_TICKS == 0 and os.getppid() != self.parent_pid:
                log.warning("serve process %s is gone; stopping web worker", self.parent_pid)
                self.should_exit = True
            return await super().on_tick(counter)

        async def shutdown(self, sockets=None) -> None:
            if self.acceptor is not None:
                self.acceptor.stop()
            if self.redirect_server is not None:
                self.redirect_server.close()
            await super().shutdown(sockets)

    return Server


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terabox_crm.settings")
        from terabox_crm.ops.serve import ConnectionCounts, uvicorn_config

        listen = socket.socket(fileno=args.listen_fd)
        redirect = socket.socket(fileno=args.redirect_fd) if args.redirect_fd is not None else None
        config = uvicorn_config(
            host=args.host, port=listen.getsockname()[1], cert_path=args.cert, key_path=args.key
        )
        server = server_class()(
            config,
            listen=listen,
            redirect_socket=redirect,
            ready_fd=args.ready_fd,
            parent_pid=args.parent_pid,
            counts=ConnectionCounts(args.counts_fd, args.slots),
            slot=args.slot,
        )
        # A SIGTERM that uvicorn caught is raised again once it has shut down:
        # by then it only needs to end the process, with status 0.
        server.run()
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
