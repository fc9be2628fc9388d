"""Run the installed ``terabox-crm`` command as a real process for the
integration tests in this folder: a fresh data dir each, SQLite unless a test
says otherwise, HTTPS verified against the certificate the server generated."""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

COMMAND = str(Path(sys.executable).with_name("terabox-crm"))
READY = re.compile(r"Terabox CRM is ready: (https://\S+)")
WORKER = re.compile(r"Job worker started \(pid (\d+)\)")
BANNER_END = re.compile(r"Press Ctrl-C to stop\.")
WEB_WORKERS = re.compile(r"web workers: (\d+) \(pids ([\d, ]+)\)")
HTTP_PORT = re.compile(r"http://…:(\d+)/ redirects to HTTPS")


# Where the run's migrated template lives (set once per run by conftest.py).
TEMPLATE_ROOT: Path | None = None


def migrated_template() -> Path:
    """A data dir that ``terabox-crm manage migrate`` made, once per test run
    and shared by the xdist workers (built under a file lock).

    Migrating a fresh SQLite database costs about six CPU-seconds (Django
    renders every model state of every migration); most process tests start
    from a copy of this instead. The copy is the database a first start
    leaves behind before it writes anything of its own: no keys, no user,
    no workspace — those stay per data dir. What a first start does on a
    truly empty data dir is tested with ``fresh=True``."""
    root = TEMPLATE_ROOT or Path(tempfile.gettempdir()) / f"terabox-crm-template-{os.getpid()}"
    template = root / "migrated"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / "db.sqlite3").exists():
            building = Path(tempfile.mkdtemp(dir=root))
            done = subprocess.run(
                [COMMAND, "manage", "migrate", "-v0"],
                env=_outer_env(building),
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            building.rename(template)
    return template / "db.sqlite3"


def _outer_env(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CRM_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"))
    }
    env["CRM_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def clean_env(data_dir: Path, *, fresh: bool = False, **extra: str | None) -> dict[str, str]:
    """The outer environment without the test run's own settings (its data dir,
    inline jobs, the CI database): each process gets its own.

    An empty ``data_dir`` on the embedded SQLite starts as a copy of the run's
    migrated template (``migrated_template``), unless ``fresh``.

    ``serve`` starts one web worker (``CRM_WEB_WORKERS=1``): each is a Python
    process of its own, and starting the per-CPU default in every browser and
    process test was a tenth of the suite's CPU. A test about the workers
    passes ``--workers`` or ``CRM_WEB_WORKERS=None`` (the per-CPU default)."""
    env = _outer_env(data_dir)
    env["CRM_WEB_WORKERS"] = "1"
    embedded = not extra.get("DATABASE_URL")
    if not fresh and embedded and data_dir.is_dir() and not any(data_dir.iterdir()):
        database = data_dir / "db.sqlite3"
        shutil.copyfile(migrated_template(), database)
        database.chmod(0o600)
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _state(pid: int) -> str:
    """The process state letter (R running, S sleeping, D disk, Z zombie…)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    return _state(pid) not in ("Z", "gone")


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def established_connections(pid: int, port: int, peers: set[int] | None = None) -> int:
    """How many TCP connections to local ``port`` process ``pid`` holds open
    (only those from the client ports ``peers``, if given)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            established = fields[3] == "01"
            peer_port = int(fields[2].rsplit(":", 1)[1], 16)
            ours = peers is None or peer_port in peers
            if local_port == port and established and ours and fields[9] in inodes:
                count += 1
    return count


def web_worker_pids(serve_pid: int) -> list[int]:
    """The web worker processes ``serve`` runs now (found by their command line)."""
    return sorted(
        pid
        for pid in children(serve_pid)
        if "terabox_crm.ops.web_worker" in command_line(pid) and alive(pid)
    )


class Served:
    """One ``terabox-crm serve`` process and what it printed."""

    def __init__(
        self,
        data_dir: Path,
        args: list[str],
        env: dict[str, str],
        *,
        sigint_ignored: bool = False,
    ):
        self.data_dir = data_dir
        self.lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [COMMAND, "serve", "--port", "0", *args],
            env=env,
            cwd=data_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # As a shell starts a background job (`serve &` in a script).
            preexec_fn=_ignore_sigint if sigint_ignored else None,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""
        self.worker_pid: int | None = None
        self.web_pids: list[int] = []
        self.http_port: int | None = None
        self.seen: set[int] = set()  # every child seen, for kill()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 90) -> re.Match[str]:
        for line in self.lines:
            if match := pattern.search(line):
                return match
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if match := pattern.search(line):
                return match
        raise AssertionError(f"{pattern.pattern!r} not printed; output:\n{self.output}")

    def wait_ready(self) -> Served:
        self.url = self.wait_for(READY).group(1).rstrip("/")
        self.web_pids = [int(p) for p in self.wait_for(WEB_WORKERS).group(2).split(", ")]
        self.wait_for(BANNER_END)
        self.seen.update(descendants(self.process.pid))
        if match := next((WORKER.search(line) for line in self.lines if WORKER.search(line)), None):
            self.worker_pid = int(match.group(1))
        if match := next(
            (HTTP_PORT.search(line) for line in self.lines if HTTP_PORT.search(line)), None
        ):
            self.http_port = int(match.group(1))
        return self

    def drain(self) -> None:
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return
            if line is None:
                return
            self.lines.append(line)

    @property
    def output(self) -> str:
        self.drain()
        return "\n".join(self.lines)

    @property
    def cert_path(self) -> Path:
        return self.data_dir / "tls" / "cert.pem"

    def client(self) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.cert_path))
        return httpx.Client(base_url=self.url, verify=context, timeout=10)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # Say what is still running and what it printed: a stop that
            # hangs is otherwise a bare timeout in CI's log.
            self.drain()
            still = [
                f"  {pid} {_state(pid)} {command_line(pid)[:120]}"
                for pid in [self.process.pid, *descendants(self.process.pid)]
            ]
            raise AssertionError(
                f"serve did not stop within {timeout} s of signal {sig}; still running:\n"
                + "\n".join(still)
                + "\nits last output:\n"
                + "\n".join(self.lines[-30:])
            ) from None
        finally:
            self.drain()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.seen.update(descendants(self.process.pid))
            self.process.kill()
            self.process.wait()
        for pid in {*self.seen, *self.web_pids, self.worker_pid}:
            # Only a child of this serve (its command line names the parent):
            # a pid seen earlier may belong to another process by now.
            if pid and alive(pid) and self.is_child(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def is_child(self, pid: int) -> bool:
        return f"--parent-pid {self.process.pid} " in command_line(pid) + " "
