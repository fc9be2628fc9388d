#!/usr/bin/env python3
"""Would building an export on several cores reach 30,000 rows/s? (S4, S5)

A measurement for the decision in docs/performance.md (Guarded export), not
a product code path. It splits the seeded workspace's contacts into
``--workers`` contiguous ranges of primary keys (the boundaries from the
count's own id batches), forks one process per range after Django is set
up, and has each do what ``export_build`` does to its rows: read them in
keyset batches (``resources.read``: decrypted), ask the purpose gate per
batch, make the cells (``resources.row_maker``), write CSV through the
formula guard, hash the plaintext and seal 64 KiB chunks (``SealedWriter``,
to ``/dev/null``). What it leaves out is the assembly a real parallel build
would add: each part's bytes decrypted again, hashed into the one SHA-256
and sealed into the one file, in order (C-speed copies, about a second per
gigabyte).

    .venv/bin/python bench/export_parallel.py --data-dir COPY-OF-SEED --workers 1,2

Reported per run: wall seconds and rows per wall second for all ranges
together, each process's CPU seconds, peak RSS and its private memory
(``Private_*`` of ``/proc/self/smaps_rollup``: what a forked process does not
share with its parent), and the load average before and after.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _private_mb() -> float:
    try:
        with open("/proc/self/smaps_rollup") as handle:
            return (
                sum(int(line.split()[1]) for line in handle if line.startswith("Private_")) / 1024
            )
    except OSError:
        return 0.0


def _boundaries(queryset, parts: int) -> list:
    """``parts`` ranges of primary keys, as ``[(after, up_to), …]`` (None: open)."""
    from terabox_crm.exports import resources

    ids = [pk for batch in resources.id_batches(queryset, "pk") for pk, _subject in batch]
    edges = [ids[len(ids) * n // parts - 1] for n in range(1, parts)]
    lows = [None, *edges]
    highs = [*edges, None]
    return list(zip(lows, highs, strict=True)), len(ids)


def _build_range(workspace_id, membership, purpose, key, after, up_to) -> dict:
    """One process's share: what ``export_build`` does, for one range."""
    from django_scopes import scope

    from terabox_crm.contacts.selectors import preload_keys
    from terabox_crm.dsr import export as sealed
    from terabox_crm.exports import resources, services, writers

    started = time.perf_counter()
    rows = 0
    with scope(workspace=workspace_id):
        preload_keys(workspace_id)
        found = resources.get("contacts")
        selection = found.select(membership, {}, strict=False)
        queryset = selection.queryset
        if after is not None:
            queryset = queryset.filter(pk__gt=after)
        if up_to is not None:
            queryset = queryset.filter(pk__lte=up_to)
        selection = resources.Selection(queryset, selection.keep)
        columns = found.columns_for(None)
        cells = resources.row_maker(columns, queryset.model)

        def produced():
            nonlocal rows
            for _read, batch in resources.read(found, selection, columns, workspace_id):
                refused = services._check_batch(
                    workspace_id, purpose, [row["pk"] for row in batch], read_from_subjects=True
                )
                for row in batch:
                    if row["pk"] in refused:
                        continue
                    rows += 1
                    yield cells(row)

        with open(os.devnull, "wb") as handle:
            writer = sealed.SealedWriter(handle, key, uuid.uuid4(), domain=writers.DOMAIN)
            sink = writers.HashingSink(writer)
            keys = [column.key for column in columns]
            writers.write_csv(sink, keys, keys, produced())
            writer.finish()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "rows": rows,
        "wall_seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "private_mb": round(_private_mb(), 1),
        "bytes": sink.size,
    }


def parallel_run(workspace, owner, workers: int) -> dict:
    from django.db import connections
    from django_scopes import scope

    from terabox_crm.core.models import Membership
    from terabox_crm.crypto import keyring
    from terabox_crm.exports import resources
    from terabox_crm.privacy import gate

    with scope(workspace=workspace):
        membership = Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=owner
        )
        purpose = gate.purpose_for(membership.workspace_id, "support")
        selection = resources.get("contacts").select(membership, {}, strict=False)
        ranges, total = _boundaries(selection.queryset, workers)
    key = keyring.create_key(f"bench-export-{uuid.uuid4()}", "export")
    load_before = os.getloadavg()
    connections.close_all()  # each process opens its own connection
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    children = []
    for after, up_to in ranges:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read_end)
            try:
                result = _build_range(workspace.pk, membership, purpose, key, after, up_to)
            except BaseException as error:
                result = {"error": repr(error)}
            os.write(write_end, json.dumps(result).encode())
            os.close(write_end)
            os._exit(0)
        os.close(write_end)
        children.append((pid, read_end))
    parts = []
    for pid, read_end in children:
        with os.fdopen(read_end, "rb") as handle:
            parts.append(json.loads(handle.read() or b"{}"))
        os.waitpid(pid, 0)
    wall = time.perf_counter() - started
    gc.unfreeze()
    keyring.destroy_key(key.key_id)
    rows = sum(part.get("rows", 0) for part in parts)
    return {
        "workers": workers,
        "contacts": total,
        "rows": rows,
        "wall_seconds": round(wall, 3),
        "rows_per_second": round(rows / wall) if wall else None,
        "cpu_seconds": round(sum(part.get("cpu_seconds", 0) for part in parts), 3),
        "rows_per_cpu_second": round(rows / sum(part.get("cpu_seconds", 0) for part in parts))
        if parts and all("cpu_seconds" in part for part in parts)
        else None,
        "load_before": [round(value, 2) for value in load_before],
        "load_after": [round(value, 2) for value in os.getloadavg()],
        "parts": parts,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    from bench import run
    from bench.retention import _seeded

    run.setup(args.data_dir or tempfile.mkdtemp(prefix="tbx-bench-export-"))
    found = _seeded()
    if found is None:
        raise SystemExit("--data-dir must hold an earlier --phase seed (copy the seed first)")
    workspace, owner, _meta = found
    report = {"runs": []}
    for workers in (int(value) for value in args.workers.split(",")):
        result = parallel_run(workspace, owner, workers)
        print(json.dumps({k: v for k, v in result.items() if k != "parts"}), flush=True)
        report["runs"].append(result)
    return run._emit(report, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
