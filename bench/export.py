#!/usr/bin/env python3
"""The guarded-export benchmark (S4, S5; targets: ≥ 30,000 rows/s on SQLite,
flat memory under 150 MB, time to first byte under 1 s at 1M contacts).

    .venv/bin/python bench/export.py --contacts 100000          # SQLite in a temp data dir
    .venv/bin/python bench/export.py --data-dir COPY-OF-SEED     # on an earlier --phase seed
    DATABASE_URL=postgres://…/bench .venv/bin/python bench/export.py --contacts 1000000
    .venv/bin/python bench/run.py --smoke                        # includes a small run of this

Seeds a workspace of ``--contacts`` contacts (``bench.run.seed_contacts``:
encrypted names, an email and a phone each), then exports all of them to CSV
through the product's own services, as the request and the job do:
``export_request`` (the policy, the purpose), ``export_count`` (the job's
count through the purpose gate, the approval threshold) and
``export_build`` (rows read in batches by primary key, each batch through
the gate, decrypted, written, sealed chunk by chunk and hashed), then the one
download through ``export_download`` and ``export_stream``.

It reports:

- ``rows_per_second``: rows written by ``export_build`` per second of its wall time;
- ``request_seconds``: ``export_request`` (the web request: the policy, the
  filters, the row made "counting");
- ``count_seconds`` and ``count_cpu_seconds``: the job's count before the
  build (``export_count``: every id through the purpose gate, then the
  approval rule);
- ``first_byte_seconds``: from the build's start to the first sealed chunk on
  disk — the file starts as the first batch is read, not after the table;
- ``download_first_byte_seconds``: from the download call to its first chunk;
- ``peak_rss_mb`` and ``rss_growth_mb``: the process's resident memory, sampled
  every 20 ms during the build, at its peak and above what it was before the
  build; it includes the database pages SQLite maps (``mmap_size``, up to
  256 MiB), so it grows with the file read up to that bound;
- ``peak_anon_rss_mb`` and ``anon_rss_growth_mb``: the same for the heap
  alone (``RssAnon``): flat memory means this growth does not scale with
  the rows;
- ``cpu_seconds`` and ``rows_per_cpu_second``: the build's CPU time, which a
  shared machine's load does not stretch as it stretches the wall time.

Timings are never asserted: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    """Resident memory of this process (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def anon_mb(pid: int | str = "self") -> float:
    """A process's anonymous resident memory (its heap: Python objects,
    buffers), without the file pages SQLite maps (``mmap_size``, 256 MiB by
    default: settings.py), which the kernel may drop at any time."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int | str = "self") -> list[int]:
    """A process's export helpers (``terabox_crm.exports.helper``): its
    children once they run the helper (before ``exec`` a child still shows
    its parent's memory)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    helpers = []
    for child in found:
        try:
            if b"terabox_crm.exports.helper" in Path(f"/proc/{child}/cmdline").read_bytes():
                helpers.append(child)
        except OSError:
            continue
    return helpers


class _Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _rss_mb()
        self.peak_anon = anon_mb()
        self.peak_helpers_anon = 0.0
        self.peak_together_anon = self.peak_anon
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            own = anon_mb()
            helpers = sum(anon_mb(pid) for pid in _children())
            self.peak = max(self.peak, _rss_mb())
            self.peak_anon = max(self.peak_anon, own)
            self.peak_helpers_anon = max(self.peak_helpers_anon, helpers)
            self.peak_together_anon = max(self.peak_together_anon, own + helpers)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def owner_without_threshold(workspace, owner):
    """The owner's membership, with the workspace's approval threshold out of
    the way: the benchmarks measure the build, not the approval."""
    from django_scopes import scope

    from terabox_crm.core.models import Membership
    from terabox_crm.exports import services

    with scope(workspace=workspace):
        membership = Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=owner
        )
    services.settings_change(membership=membership, approval_threshold=100_000_000)
    return membership


def export_phase(workspace, owner, *, fmt: str = "csv") -> dict:
    """Export every contact of ``workspace`` (its owner asks) and measure."""
    from django.db import connection
    from django_scopes import scopes_disabled

    from terabox_crm.dsr import export as sealed
    from terabox_crm.exports import building, services
    from terabox_crm.exports.models import Export
    from terabox_crm.ops import maintenance

    # A live install refreshes SQLite's planner statistics hourly
    # (ops.tasks.refresh_planner_statistics); a freshly seeded file has none,
    # and without them SQLite reads each batch through the workspace index
    # and sorts what is left of the workspace (docs/performance.md, Export).
    statistics_refreshed = maintenance.refresh_statistics()
    membership = owner_without_threshold(workspace, owner)
    # The job runs on commit when jobs are immediate (the bench's setting):
    # hold it back, so its count and its build are timed on their own.
    enqueue = services._enqueue
    services._enqueue = lambda item: None
    try:
        started = time.perf_counter()
        item = services.export_request(
            membership=membership, resource="contacts", format=fmt, purpose="support"
        )
        request_seconds = time.perf_counter() - started
    finally:
        services._enqueue = enqueue
    # The job's first step: the count through the purpose gate, then the
    # approval rule (the export is queued: no threshold in the way).
    count_started = time.perf_counter()
    count_cpu_started = time.process_time()
    counted = services.export_count(item.pk)
    count_seconds = time.perf_counter() - count_started
    count_cpu_seconds = time.process_time() - count_cpu_started

    first_chunk: list[float] = []
    real_seal = sealed.SealedWriter._seal

    def timed_seal(self, chunk, *, last):
        if not first_chunk:
            first_chunk.append(time.perf_counter())
        return real_seal(self, chunk, last=last)

    sealed.SealedWriter._seal = timed_seal
    baseline = _rss_mb()
    baseline_anon = anon_mb()
    sampler = _Sampler()
    sampler.start()
    try:
        build_started = time.perf_counter()
        cpu_started = time.process_time()
        children_started = _children_cpu()
        services.export_build(item.pk)
        build_seconds = time.perf_counter() - build_started
        cpu_seconds = time.process_time() - cpu_started
        helper_cpu_seconds = _children_cpu() - children_started
    finally:
        sampler.done.set()
        sampler.join()
        sealed.SealedWriter._seal = real_seal
    with scopes_disabled():
        item = Export.objects.get(pk=item.pk)
    download_started = time.perf_counter()
    ready = services.export_download(membership=membership, export_id=item.pk)
    stream = services.export_stream(ready)
    first = next(stream)
    download_first_byte = time.perf_counter() - download_started
    size = len(first) + sum(len(chunk) for chunk in stream)
    return {
        "database": connection.vendor,
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "planner_statistics_refreshed": statistics_refreshed,
        "format": fmt,
        "status": item.status,
        "rows": item.rows,
        "bytes": size,
        "sha256": item.sha256,
        "request_seconds": round(request_seconds, 3),
        "count_status": counted.status if counted is not None else None,
        "matched": counted.matched if counted is not None else None,
        "count_seconds": round(count_seconds, 3),
        "count_cpu_seconds": round(count_cpu_seconds, 3),
        "build_seconds": round(build_seconds, 3),
        "rows_per_second": round(item.rows / build_seconds) if build_seconds else None,
        # The process's CPU time over the build: on a shared machine the wall
        # time includes waiting for a core, the CPU time does not.
        "cpu_seconds": round(cpu_seconds, 3),
        "rows_per_cpu_second": round(item.rows / cpu_seconds) if cpu_seconds else None,
        # A large CSV is built by more than one process (exports/building.py):
        # how many may, the helpers' CPU time (counted once they have
        # stopped), and the rows per CPU-second of all of them.
        "processes": building.processes_for(item),
        "helper_cpu_seconds": round(helper_cpu_seconds, 3),
        "rows_per_cpu_second_all_processes": (
            round(item.rows / (cpu_seconds + helper_cpu_seconds)) if cpu_seconds else None
        ),
        "first_byte_seconds": round(first_chunk[0] - build_started, 3) if first_chunk else None,
        "download_first_byte_seconds": round(download_first_byte, 3),
        "rss_before_build_mb": round(baseline, 1),
        "peak_rss_mb": round(sampler.peak, 1),
        "rss_growth_mb": round(sampler.peak - baseline, 1),
        # The heap alone (RSS less SQLite's mapped file pages): flat memory
        # means this does not grow with the rows.
        "anon_rss_before_build_mb": round(baseline_anon, 1),
        "peak_anon_rss_mb": round(sampler.peak_anon, 1),
        "anon_rss_growth_mb": round(sampler.peak_anon - baseline_anon, 1),
        "helpers_peak_anon_rss_mb": round(sampler.peak_helpers_anon, 1),
        "together_peak_anon_rss_mb": round(sampler.peak_together_anon, 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    from bench import run
    from bench.retention import _seeded

    run.setup(args.data_dir or tempfile.mkdtemp(prefix="tbx-bench-export-"))
    found = _seeded()  # an earlier ``--phase seed`` here: export its workspace
    if found is not None:
        workspace, owner, meta = found
        report = {"contacts": meta["contacts"], "seed": {"reused": meta.get("seed")}}
    else:
        run.plain_reference_table()  # the seeder fills it beside the contacts
        workspace, owner = run.make_workspace("Bench export")
        seeded = run.seed_contacts(workspace, owner, args.contacts)
        report = {"contacts": args.contacts, "seed": seeded}
    report["export"] = export_phase(workspace, owner, fmt=args.format)
    return run._emit(report, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
