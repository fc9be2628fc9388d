#!/usr/bin/env python3
"""Load benchmark of ``terabox-crm serve`` over HTTPS, as clients see it.

    .venv/bin/python bench/load.py                     # starts serve on a fresh data dir
    .venv/bin/python bench/load.py --workers 1         # the same with one web process
    .venv/bin/python bench/load.py --smoke             # seconds, for CI (not judged)
    TBX_TOKEN=tbx_… .venv/bin/python bench/load.py --url https://127.0.0.1:8443
                                                       # against a serve already running

Without ``--url`` it makes a data dir, a workspace and its owner
(``createowner``), a read/write API token (``token``), starts ``serve`` there,
and creates ``--contacts`` contacts through the API. Then it measures:

- ``GET /api/v1/contacts/?page_size=50`` with 1, 4 and 16 concurrent clients
  (closed loop: each client sends its next request when the answer arrives):
  throughput, mean, p50, p99, errors;
- a mixed load: ``--readers`` clients reading that page, first alone, then
  beside two clients creating contacts (``POST /api/v1/contacts/``); reader
  latency with and without writers, and every "database is locked" the
  server logged (there must be none).

The clients are Debian's ``wrk`` (``apt-get install wrk``), driven from
here: a C event loop that costs a few percent of one core, so on a 2-core
machine the server keeps the cores (its CPU time is reported beside the
server's). The token reaches wrk's Lua script through the environment, never
the command line.

Targets (2 cores, docs/performance.md): 16 clients get at least 1.7× the
throughput of one; their p99 stays within 2× their mean; no errors; no
"database is locked". Results: a table on stdout and ``--out`` JSON. Timings
are a measurement, never a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = str(Path(sys.executable).with_name("terabox-crm"))
LIST_PATH = "/api/v1/contacts/?page_size=50"
CREATE_PATH = "/api/v1/contacts/"
PASSWORD = "bench load passphrase 2026"
EMAIL = "load@example.com"
WORKSPACE = "Load"
LOCKED = "database is locked"
READY = re.compile(r"Terabox CRM is ready: (https://\S+)")
TICKS = os.sysconf("SC_CLK_TCK")

TARGET_SCALING = 1.7
TARGET_P99_OVER_MEAN = 2.0

# wrk's Lua side: the token from the environment; one JSON line at the end.
REPORT_LUA = """
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TBX_TOKEN")
wrk.headers["Accept"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "mean_us": %.1f, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
"""
WRITE_LUA = (
    REPORT_LUA
    + """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format(
    '{"family_name": "負荷", "given_name": "書込%d", "notes": "load benchmark"}', n))
end
"""
)


# --- the server ---------------------------------------------------------------------------


class Server:
    """A ``terabox-crm serve`` this script started on a fresh data dir."""

    def __init__(self, *, workers: int | None, contacts: int, keep: bool) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="tbx-load-"))
        self.keep = keep
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"CRM_DATA_DIR", "CRM_JOBS_IMMEDIATE", "DJANGO_SETTINGS_MODULE"}
        }
        self.env.update(CRM_DATA_DIR=str(self.data_dir), CRM_PASSWORD=PASSWORD)
        self.log_path = self.data_dir / "serve.log"
        self.workers = workers
        self.contacts = contacts
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.token = ""

    @property
    def cafile(self) -> Path:
        return self.data_dir / "tls" / "cert.pem"

    def run(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [COMMAND, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise SystemExit(f"terabox-crm {args[0]} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        print(f"data dir {self.data_dir}", file=sys.stderr)
        self.run("createowner", "--email", EMAIL, "--workspace", WORKSPACE)
        self.token = self.run(
            "token", "--email", EMAIL, "--workspace", WORKSPACE,
            "--scopes", "read,write", "--days", "1", "--name", "load benchmark",
        ).strip()  # fmt: skip
        args = [COMMAND, "serve", "--port", "0"]
        if self.workers is not None:
            args += ["--workers", str(self.workers)]
        log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            args, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if match := READY.search(self.log()):
                self.url = match.group(1).rstrip("/")
                break
            if self.process.poll() is not None:
                raise SystemExit(f"serve exited:\n{self.log()}")
            time.sleep(0.2)
        else:
            raise SystemExit(f"serve did not become ready:\n{self.log()}")
        self.seed()

    def seed(self) -> None:
        import httpx

        context = ssl.create_default_context(cafile=str(self.cafile))
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, verify=context, headers=headers, timeout=30) as client:
            for i in range(self.contacts):
                answer = client.post(
                    CREATE_PATH,
                    json={
                        "family_name": ["山田", "佐藤", "鈴木", "Smith"][i % 4],
                        "given_name": f"花子{i}",
                        "emails": [{"value": f"seed{i}@example.com"}],
                        "phones": [{"value": f"+81 3 1234 {i:04d}"}],
                    },
                )
                if answer.status_code != 201:
                    raise SystemExit(f"seeding failed: {answer.status_code} {answer.text[:300]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self) -> list[int]:
        if self.process is None:
            return []
        return [self.process.pid, *descendants(self.process.pid)]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if not self.keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def web_workers(serve_pid: int) -> list[int]:
    return [
        pid
        for pid in children(serve_pid)
        if b"terabox_crm.ops.web_worker" in _read(f"/proc/{pid}/cmdline", b"")
    ]


def _read(path: str, default: bytes) -> bytes:
    try:
        return Path(path).read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return default


def connections_held(pids: list[int], port: int) -> list[int]:
    """How many connections to ``port`` each of ``pids`` holds: keep-alive
    clients stay on the worker that accepted them, so an uneven spread shows
    in the latencies (serve gives a new connection to the worker holding the
    fewest)."""
    held = []
    for pid in pids:
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        count = 0
        for table in ("tcp", "tcp6"):
            for line in _read(f"/proc/{pid}/net/{table}", b"").decode().splitlines()[1:]:
                fields = line.split()
                if (
                    int(fields[1].rsplit(":", 1)[1], 16) == port
                    and fields[3] == "01"
                    and fields[9] in inodes
                ):
                    count += 1
        held.append(count)
    return sorted(held, reverse=True)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of ``pids`` so far (processes that ended are left out)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


# --- the clients --------------------------------------------------------------------------


def wrk_command(url: str, path: str, clients: int, seconds: float, script: Path) -> list[str]:
    return [
        "wrk", "-t", "1", "-c", str(clients), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(script), url + path,
    ]  # fmt: skip


def parse(output: str) -> dict:
    line = next((line for line in reversed(output.splitlines()) if line.startswith("{")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    raw = json.loads(line)
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": errors,
        "error_kinds": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout")},
    }


class Load:
    """Runs wrk processes against one server and accounts for the CPU on both sides."""

    def __init__(self, url: str, token: str, server_pids, scripts: dict[str, Path],
                 worker_pids=lambda: []) -> None:  # fmt: skip
        self.url = url
        self.env = {**os.environ, "TBX_TOKEN": token}
        self.server_pids = server_pids
        self.worker_pids = worker_pids
        self.scripts = scripts

    def run(self, jobs: list[tuple[str, str, int]], seconds: float) -> tuple[list[dict], dict]:
        """Run each (script, path, clients) at once for ``seconds``; their results and CPU."""
        time.sleep(1)  # the previous run's connections are closed and no longer counted
        pids = self.server_pids()
        server_before = cpu_seconds(pids)
        clients_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.monotonic()
        processes = [
            subprocess.Popen(  # noqa: S603 - wrk with our own arguments
                wrk_command(self.url, path, clients, seconds, self.scripts[script]),
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for script, path, clients in jobs
        ]
        time.sleep(min(2.0, seconds / 2))
        split = connections_held(self.worker_pids(), int(self.url.rsplit(":", 1)[1]))
        outputs = [process.communicate()[0] for process in processes]
        wall = time.monotonic() - began
        clients_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = cpu_seconds(pids) - server_before
        client_cpu = (clients_after.ru_utime - clients_before.ru_utime) + (
            clients_after.ru_stime - clients_before.ru_stime
        )
        cpu = {
            "connections_per_worker": split,
            "server_cores": round(server_cpu / wall, 2),
            "client_cores": round(client_cpu / wall, 2),
        }
        return [parse(output) for output in outputs], cpu


# --- the run ------------------------------------------------------------------------------


def measure(load: Load, *, seconds: float, readers: int, locked_count) -> dict:
    results: dict = {"levels": {}, "mixed": {}}
    load.run([("read", LIST_PATH, 4)], min(seconds, 3))  # warm every worker
    for clients in (1, 4, 16):
        [reading], cpu = load.run([("read", LIST_PATH, clients)], seconds)
        results["levels"][str(clients)] = {**reading, **cpu}
        print(f"  {clients:>2} clients: {reading['rps']} req/s", file=sys.stderr)
    locked_before = locked_count()
    [alone], cpu_alone = load.run([("read", LIST_PATH, readers)], seconds)
    [mixed_read, mixed_write], cpu_mixed = load.run(
        [("read", LIST_PATH, readers), ("write", CREATE_PATH, 2)], seconds
    )
    results["mixed"] = {
        "readers": readers,
        "writer_clients": 2,
        "readers_alone": {**alone, **cpu_alone},
        "readers_with_writers": {**mixed_read, **cpu_mixed},
        "writers": mixed_write,
        "database_is_locked": locked_count() - locked_before,
    }
    return results


def verdict(results: dict) -> list[tuple[str, bool, str]]:
    one, sixteen = results["levels"]["1"], results["levels"]["16"]
    mixed = results["mixed"]
    scaling = sixteen["rps"] / one["rps"] if one["rps"] else 0.0
    spread = sixteen["p99_ms"] / sixteen["mean_ms"] if sixteen["mean_ms"] else 0.0
    errors = sum(level["errors"] for level in results["levels"].values()) + sum(
        mixed[k]["errors"] for k in ("readers_alone", "readers_with_writers", "writers")
    )
    wait = mixed["readers_with_writers"]["p99_ms"] - mixed["readers_alone"]["p99_ms"]
    one_write = mixed["writers"]["p99_ms"]
    return [
        (f"16 clients ≥ {TARGET_SCALING}× one client", scaling >= TARGET_SCALING, f"{scaling:.2f}×"),
        (f"16 clients: p99 ≤ {TARGET_P99_OVER_MEAN}× mean", spread <= TARGET_P99_OVER_MEAN,
         f"{sixteen['p99_ms']} / {sixteen['mean_ms']} ms = {spread:.2f}×"),
        ("no errors", errors == 0, str(errors)),
        ('no "database is locked"', mixed["database_is_locked"] == 0,
         str(mixed["database_is_locked"])),
        ("readers wait at most one write longer beside writers", wait <= one_write,
         f"p99 +{wait:.1f} ms (one write p99 {one_write} ms)"),
    ]  # fmt: skip


def table(results: dict) -> str:
    head = (
        "| clients | req/s | mean ms | p50 ms | p99 ms | errors | server cores | wrk cores "
        "| connections per worker |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for clients, r in results["levels"].items():
        split = "/".join(str(n) for n in r["connections_per_worker"]) or "–"
        lines.append(
            f"| {clients} | {r['rps']} | {r['mean_ms']} | {r['p50_ms']} | {r['p99_ms']} "
            f"| {r['errors']} | {r['server_cores']} | {r['client_cores']} | {split} |"
        )
    m = results["mixed"]
    lines += ["", "| mixed load | req/s | mean ms | p50 ms | p99 ms | errors |", "|---|---|---|---|---|---|"]  # fmt: skip
    for label, key in (
        (f"{m['readers']} readers alone", "readers_alone"),
        (f"{m['readers']} readers beside 2 writers", "readers_with_writers"),
        ("2 writers (POST contacts)", "writers"),
    ):
        r = m[key]
        lines.append(
            f"| {label} | {r['rps']} | {r['mean_ms']} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} |"
        )
    lines.append(f'\n"database is locked" in the server log: {m["database_is_locked"]}')
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="", help="a running serve (token in TBX_TOKEN)")
    parser.add_argument("--workers", type=int, default=None, help="serve --workers (own server)")
    parser.add_argument("--contacts", type=int, default=200, help="contacts to create first")
    parser.add_argument("--seconds", type=float, default=20, help="per measurement")
    parser.add_argument("--readers", type=int, default=4, help="readers in the mixed load")
    parser.add_argument("--smoke", action="store_true", help="seconds, for CI; not judged")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench/load.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    if args.smoke:
        args.seconds, args.contacts = 1, 60

    server = None
    if args.url:
        token = os.environ.get("TBX_TOKEN", "")
        if not token:
            print("--url needs a read/write API token in TBX_TOKEN", file=sys.stderr)
            return 2
        url = args.url.rstrip("/")

        def server_pids() -> list[int]:
            return []

        def locked_count() -> int:
            return 0  # the server's log is not ours to read

    else:
        server = Server(workers=args.workers, contacts=args.contacts, keep=args.keep)
        url, token = "", ""

        def server_pids() -> list[int]:
            return server.pids()

        def locked_count() -> int:
            return server.log().count(LOCKED)

    scripts_dir = Path(tempfile.mkdtemp(prefix="tbx-load-lua-"))
    scripts = {"read": scripts_dir / "read.lua", "write": scripts_dir / "write.lua"}
    scripts["read"].write_text(REPORT_LUA, encoding="utf-8")
    scripts["write"].write_text(WRITE_LUA, encoding="utf-8")
    try:
        if server is not None:
            server.start()
            url, token = server.url, server.token
        load = Load(
            url,
            token,
            server_pids,
            scripts,
            worker_pids=lambda: web_workers(server.process.pid) if server is not None else [],
        )
        results = measure(
            load, seconds=args.seconds, readers=args.readers, locked_count=locked_count
        )
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(scripts_dir, ignore_errors=True)

    results["machine"] = {
        "cpus_available": len(os.sched_getaffinity(0)),
        "load_average_at_end": os.getloadavg(),
        "web_workers": args.workers if args.workers is not None else "default",
        "seconds_per_measurement": args.seconds,
        "contacts": args.contacts,
        "smoke": args.smoke,
    }
    results["verdict"] = [
        {"target": name, "met": met, "measured": measured}
        for name, met, measured in verdict(results)
    ]
    print(table(results))
    print()
    for name, met, measured in verdict(results):
        print(f"{'met    ' if met else 'NOT MET'}  {name}: {measured}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
