"""One web worker process of ``terabox-crm serve`` (docs/decisions/0009-serve-processes.md).

``serve`` reserves the HTTPS port (and binds the plain-HTTP redirect socket)
once, then starts one of these per core with ``python -m
terabox_crm.ops.web_worker``. Each listens on the HTTPS port with a socket of
its own (``SO_REUSEPORT``: the kernel spreads new connections evenly over the
processes), runs uvicorn on Django's ASGI application there, and accepts on
the inherited redirect socket too.

It tells ``serve`` it is ready by writing a line to ``--ready-fd`` once both
listeners accept connections, so the banner appears only when every worker
serves. It stops gracefully on SIGTERM (what ``serve`` sends), and stops by
itself when ``serve`` is no longer its parent, so even ``kill -9`` of
``serve`` leaves no process behind. Not a command for operators.
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
import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
from pathlib import Path  # noqa: E402

log = logging.getLogger("terabox_crm.serve")

PARENT_CHECK_TICKS = 10  # uvicorn ticks every 0.1 s: look for the parent once a second


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m terabox_crm.ops.web_worker")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redirect-fd", type=int, default=None)
    parser.add_argument("--ready-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--cert", type=Path, required=True)
    parser.add_argument("--key", type=Path, required=True)
    return parser


def server_class():
    import uvicorn

    from terabox_crm.ops.serve import _answer_redirect

    class Server(uvicorn.Server):
        """uvicorn's server, plus the redirect listener, the ready line and the parent watch."""

        def __init__(self, config, *, redirect_socket, ready_fd: int, parent_pid: int):
            super().__init__(config)
            self.redirect_socket = redirect_socket
            self.redirect_server = None
            self.ready_fd = ready_fd
            self.parent_pid = parent_pid

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if not self.started:  # pragma: no cover - uvicorn exits on failure
                return
            if self.redirect_socket is not None:
                https_port = sockets[0].getsockname()[1]

                async def handle(reader, writer):
                    await _answer_redirect(reader, writer, https_port=https_port)

                self.redirect_server = await asyncio.start_server(
                    handle, sock=self.redirect_socket, limit=16 * 1024
                )
            os.write(self.ready_fd, b"ready\n")
            os.close(self.ready_fd)

        async def on_tick(self, counter: int) -> bool:
            if counter % PARENT_CHECK_TICKS == 0 and os.getppid() != self.parent_pid:
                log.warning("serve process %s is gone; stopping web worker", self.parent_pid)
                self.should_exit = True
            return await super().on_tick(counter)

        async def shutdown(self, sockets=None) -> None:
            if self.redirect_server is not None:
                self.redirect_server.close()
            await super().shutdown(sockets)

    return Server


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terabox_crm.settings")
        from terabox_crm.ops.serve import STARTUP_FAILURE, listen_on_https_port, uvicorn_config

        try:
            listen = listen_on_https_port(args.host, args.port)
        except OSError as exc:
            log.error("web worker cannot listen on port %s: %s", args.port, exc)
            return STARTUP_FAILURE
        redirect = socket.socket(fileno=args.redirect_fd) if args.redirect_fd is not None else None
        config = uvicorn_config(
            host=args.host, port=listen.getsockname()[1], cert_path=args.cert, key_path=args.key
        )
        server = server_class()(
            config, redirect_socket=redirect, ready_fd=args.ready_fd, parent_pid=args.parent_pid
        )
        # A SIGTERM that uvicorn caught is raised again once it has shut down:
        # by then it only needs to end the process, with status 0.
        server.run(sockets=[listen])
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
