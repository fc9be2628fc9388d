#!/usr/bin/env python3
"""Memory of a real job worker while it builds an export (S4: "peak memory
flat"): `bench/export.py` times the build in its own process, which is not
the process that builds exports in production.

Starts ``terabox-crm worker --workers 1 --no-periodic`` on a seeded data dir
(``bench/run.py --phase seed``; measure on a copy: the export adds its rows,
file and key), asks for a CSV export of every contact of the seeded
workspace as its owner, and samples the worker's anonymous resident memory
(``RssAnon``: its heap, without the database pages SQLite maps) every 50 ms
until the export is ready, and its helper processes' (a large CSV is
built by more than one process: ``exports/building.py``). Reported: the
worker's memory before, at the peak and after, the helpers' peak, the
peak of both together, and the seconds from the request to the file ready.

    cp -a /tmp/seed-1m /tmp/exp-1m
    .venv/bin/python bench/export_worker.py --data-dir /tmp/exp-1m [--out out/export-worker.json]
    .venv/bin/python bench/export_worker.py --smoke     # 2,000 contacts, seconds (CI)

SQLite only (the embedded default): on PostgreSQL the pages are the
server's, not the worker's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def children(pid: int) -> list[int]:
    """The export helpers the worker started (``exports/building.py``)."""
    from bench.export import _children

    return _children(pid)


def measure(data_dir: str, timeout: float = 1800) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CRM_JOBS_IMMEDIATE", "DATABASE_URL")}
    env["CRM_DATA_DIR"] = data_dir
    os.environ.clear()
    os.environ.update(env)
    worker = subprocess.Popen(  # noqa: S603  # our own command, fixed arguments
        [str(BIN / "terabox-crm"), "worker", "--workers", "1", "--no-periodic"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        sys.path.insert(0, str(ROOT))
        from terabox_crm.ops.bootstrap import prepare

        prepare()
        from django_scopes import scopes_disabled

        from bench.export import anon_mb, owner_without_threshold
        from bench.run import recall
        from terabox_crm.audit.models import AuditEvent
        from terabox_crm.exports import services
        from terabox_crm.exports.models import Export

        workspace, owner, meta = recall()
        membership = owner_without_threshold(workspace, owner)
        time.sleep(3)  # the worker started and idle
        before = anon_mb(worker.pid)
        started = time.perf_counter()
        helpers_peak = together_peak = 0.0
        item = services.export_request(
            membership=membership, resource="contacts", format="csv", purpose="support"
        )
        peak, status, samples = before, "", 0
        while time.perf_counter() - started < timeout:
            own = anon_mb(worker.pid)
            helpers = sum(anon_mb(pid) for pid in children(worker.pid))
            peak = max(peak, own)
            helpers_peak = max(helpers_peak, helpers)
            together_peak = max(together_peak, own + helpers)
            samples += 1
            if samples % 20 == 0:
                with scopes_disabled():
                    status = Export.objects.get(pk=item.pk).status
                if status in ("ready", "failed"):
                    break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        after = anon_mb(worker.pid)
        with scopes_disabled():
            done = Export.objects.get(pk=item.pk)
            # The build alone: from the count's audit event to the file's.
            moments = dict(
                AuditEvent.objects.filter(
                    object_id=str(item.pk),
                    action__in=("exports.export.counted", "exports.export.completed"),
                ).values_list("action", "created_at")
            )
        build = None
        if len(moments) == 2:
            build = (
                moments["exports.export.completed"] - moments["exports.export.counted"]
            ).total_seconds()
        return {
            "contacts": meta["contacts"],
            "status": done.status,
            "rows": done.rows,
            "seconds_request_to_ready": round(seconds, 1),
            "build_seconds": round(build, 1) if build else None,
            "build_rows_per_second": round(done.rows / build) if build else None,
            "worker_anon_before_mb": round(before, 1),
            "worker_anon_peak_mb": round(peak, 1),
            "worker_anon_growth_mb": round(peak - before, 1),
            "worker_anon_after_mb": round(after, 1),
            # The build's helper processes (exports/building.py), added up,
            # and the worker with them, sampled together.
            "helpers_anon_peak_mb": round(helpers_peak, 1),
            "worker_and_helpers_anon_peak_mb": round(together_peak, 1),
            "load_average": [round(value, 2) for value in os.getloadavg()],
        }
    finally:
        worker.terminate()
        worker.wait(60)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--smoke", action="store_true", help="seed 2,000 contacts first (CI)")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    data_dir = args.data_dir
    if args.smoke:
        data_dir = tempfile.mkdtemp(prefix="tbx-export-worker-")
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        seed = ["--phase", "seed", "--contacts", "2000", "--data-dir", data_dir]
        subprocess.run(  # noqa: S603  # our own script, fixed arguments
            [sys.executable, str(ROOT / "bench" / "run.py"), *seed],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    if not data_dir:
        parser.error("--data-dir (a seeded data dir) or --smoke")
    report = {"export_worker": measure(data_dir)}
    text = json.dumps(report, indent=2)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0 if report["export_worker"]["status"] == "ready" else 1


if __name__ == "__main__":
    sys.exit(main())
