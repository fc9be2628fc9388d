"""``terabox-crm keys …``: data-key tools for operators (S3, S4).

* ``rotate [--scope SCOPE]... [--all-workspaces] [--system] [--batch N]`` —
  give each chosen scope a new active encryption key (the old one becomes
  decrypt-only) and re-encrypt every encrypted column of that scope's rows,
  ``N`` rows per transaction (default 1,000). ``SCOPE`` is ``system``, a
  workspace id or a workspace slug. Resumable: when a rotation of the scope
  did not finish (interrupted, crashed), rerunning continues it instead of
  adding another key. Progress is a bar with an ETA, redrawn in place on a
  terminal and printed every 10 % otherwise.
* ``rotate --destroy-unused [--older-than DAYS]`` — destroy the decrypt-only
  keys of the chosen scopes that no row names any more, once their rotation
  finished more than ``DAYS`` ago (default 35: longer than backups are kept,
  since a backup restored later still needs the old key to be read).
* ``rotate --master [--new-key-file PATH | --new-key-command CMD]`` — a new
  master key: every data key and the erasure-ledger key file are re-wrapped
  under it (the data itself is not re-encrypted: the data keys stay). With
  the embedded default (``keys/master.key``) the new key is generated into
  the data dir and replaces the old one at the end; the old one is kept as
  ``keys/retired/master-<id>.key`` for backups taken before. With
  ``CRM_MASTER_KEY``/``_FILE``/``_COMMAND`` the operator passes the new key's
  source; the processes read it through ``keys/master-rotation.state`` until
  the configuration is switched to it (docs/operations.md, "Keys").
  Resumable: the state file is written first, every process then accepts
  both keys and wraps new data keys under the new one, and a rerun after a
  crash re-wraps what is left. Audited (``crypto.master_key.rotated``) and
  recorded as evidence ``keys.master_rotated`` with both key ids.
* ``status [--json]`` — the master key (id and source), any master-key
  rotation under way, the data keys per scope and purpose with their master
  key id, age and how many encrypted values each still protects (counted in
  the database, grouped, never by loading rows), whether anything is still
  wrapped under another master key, then the data-key rotation jobs.

Exit 0 when every chosen scope (or the master-key rotation) finished, 1 when one did not, 2 on a usage
or configuration error. Works on a fresh data dir: migrations are applied
first. Each rotation is an audit event (``crypto.keys.rotated``), channel cli.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import sys
import time
from pathlib import Path
from typing import TextIO

from django.utils import timezone

from terabox_crm.ops.bootstrap import prepare


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="terabox-crm keys", description="Data-key tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rotate = commands.add_parser(
        "rotate", help="new encryption key per scope, then re-encrypt its rows (resumable)"
    )
    rotate.add_argument(
        "--master",
        action="store_true",
        help="rotate the master key: re-wrap every data key and the erasure-ledger key",
    )
    rotate.add_argument(
        "--new-key-file",
        metavar="PATH",
        help="with --master: the new master key's file (when the key comes from "
        "CRM_MASTER_KEY, CRM_MASTER_KEY_FILE or CRM_MASTER_KEY_COMMAND)",
    )
    rotate.add_argument(
        "--new-key-command",
        metavar="COMMAND",
        help="with --master: a command printing the new master key (a KMS), run without a shell",
    )
    rotate.add_argument(
        "--scope",
        action="append",
        default=[],
        help="'system', a workspace id or a workspace slug (repeatable)",
    )
    rotate.add_argument("--all-workspaces", action="store_true", help="every workspace")
    rotate.add_argument("--system", action="store_true", help="the system scope (user accounts)")
    rotate.add_argument(
        "--batch", type=int, default=1000, help="rows per transaction (default 1000)"
    )
    rotate.add_argument(
        "--destroy-unused",
        action="store_true",
        help="instead of rotating: destroy old keys no row names any more",
    )
    rotate.add_argument(
        "--older-than",
        type=int,
        default=35,
        metavar="DAYS",
        help="with --destroy-unused: only keys retired more than DAYS ago (default 35)",
    )
    status = commands.add_parser(
        "status", help="which keys exist and what they protect; rotation jobs"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


class ProgressBar:
    """``[#####.....]  50%  500/1000 rows  ETA 0:12`` — in place on a TTY,
    one line per 10 % otherwise (logs, CI)."""

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO, *, tty: bool | None = None) -> None:
        self.label = label
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.started = time.monotonic()
        self.first_done: int | None = None
        self.last_decile = -1
        self.drawn = False

    def _eta(self, done: int, total: int) -> str:
        if self.first_done is None:
            self.first_done = done
        moved = done - self.first_done
        elapsed = time.monotonic() - self.started
        if moved <= 0 or total <= done:
            return "--:--" if total > done else "0:00"
        seconds = int(elapsed / moved * (total - done))
        return f"{seconds // 60}:{seconds % 60:02d}"

    def __call__(self, done: int, total: int) -> None:
        fraction = 1.0 if total <= 0 else min(done / total, 1.0)
        eta = self._eta(done, total)
        filled = int(self.WIDTH * fraction)
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{fraction:4.0%}  {done}/{total} rows  ETA {eta}"
        )
        if self.tty:
            self.stream.write("\r" + line)
            self.drawn = True
        else:
            decile = int(fraction * 10)
            if decile == self.last_decile:
                return
            self.last_decile = decile
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _scopes(args) -> list[str]:
    from terabox_crm.core import rotation
    from terabox_crm.crypto import keyring

    chosen: list[str] = []
    if args.system:
        chosen.append(keyring.SYSTEM_SCOPE)
    if args.all_workspaces:
        chosen += rotation.all_workspace_scopes()
    chosen += [rotation.resolve_scope(name) for name in args.scope]
    return list(dict.fromkeys(chosen))


def _rotate(args) -> int:
    from terabox_crm.core import rotation
    from terabox_crm.crypto.models import RotationJob

    if args.batch < 1:
        print("terabox-crm keys rotate: --batch must be at least 1", file=sys.stderr)
        return 2
    if args.master:
        return _rotate_master(args)
    if args.new_key_file or args.new_key_command:
        print(
            "terabox-crm keys rotate: --new-key-file and --new-key-command go with --master",
            file=sys.stderr,
        )
        return 2
    try:
        scopes = _scopes(args)
    except rotation.RotationError as exc:
        print(f"terabox-crm keys rotate: {exc}", file=sys.stderr)
        return 2
    if not scopes:
        print(
            "terabox-crm keys rotate: choose --scope SCOPE, --all-workspaces or --system",
            file=sys.stderr,
        )
        return 2
    if args.destroy_unused:
        return _destroy(scopes, args.older_than)
    unfinished = 0
    for scope in scopes:
        bar = ProgressBar(f"rotate {scope}", sys.stdout)
        try:
            job = rotation.rotate(scope=scope, batch_size=args.batch, progress=bar)
        finally:
            bar.close()
        if job.state == RotationJob.State.DONE:
            note = (
                f", {len(job.unreadable)} unreadable row(s) left as they were"
                if job.unreadable
                else ""
            )
            print(
                f"{scope}: key {job.new_key_id} active, {job.rows_done} row(s) re-encrypted{note}"
            )
            for marker in job.unreadable:
                print(f"  unreadable: {marker}")
        else:
            unfinished += 1
            print(f"{scope}: not finished (job {job.pk}); run the command again to continue")
    return 1 if unfinished else 0


def _destroy(scopes: list[str], older_than: int) -> int:
    from datetime import timedelta

    from terabox_crm.core import rotation

    for scope in scopes:
        destroyed, kept = rotation.destroy_unused_keys(
            scope=scope, retired_before_days=timedelta(days=older_than)
        )
        print(f"{scope}: destroyed {len(destroyed)} key(s); kept {len(kept)} still needed")
        for key_id, reason in kept:
            print(f"  kept {key_id}: {reason}")
    return 0


# --- the master key ----------------------------------------------------------------------


class Refused(Exception):
    """A master-key rotation that must not start (said to the operator, exit 2)."""


def _new_source(args, configured):
    from terabox_crm.crypto import master

    if args.new_key_file and args.new_key_command:
        raise Refused("give --new-key-file or --new-key-command, not both")
    if args.new_key_file:
        return master.Source("file", str(Path(args.new_key_file).resolve()))
    if args.new_key_command:
        return master.Source("command", args.new_key_command)
    if configured.kind != "generated":
        raise Refused(
            f"the master key comes from {configured.describe()}: pass the new key with "
            "--new-key-file PATH or --new-key-command COMMAND (docs/operations.md, Keys)"
        )
    target = master.pending_path()
    if not target.exists():
        from terabox_crm import datadir

        datadir.write_private_file(target, base64.b64encode(secrets.token_bytes(32)))
    return master.Source("generated", str(target))


def _begin_master_rotation(args):
    """Write the rotation state (or find the one a crashed run left)."""
    from terabox_crm.crypto import keyring, master

    old_id, _raw = keyring.configured()
    state = master.read_state()
    if state is not None and state.new_id == old_id:
        # Switched to the new key before the rotation finished: the keys still
        # under the old one cannot be read until the old key is configured.
        raise Refused(
            f"the configuration already names the new master key {old_id}, but "
            f"{keyring.count_not_under(old_id)} data key(s) are still wrapped under "
            f"{state.old_id}: configure the old key again, finish with "
            "`terabox-crm keys rotate --master`, then switch"
        )
    if state is not None and state.new_id != old_id:
        if args.new_key_file or args.new_key_command:
            wanted = keyring.kek_id_of(master.read(_new_source(args, keyring.configured_source())))
            if wanted != state.new_id:
                raise Refused(
                    f"a rotation to master key {state.new_id} is under way; finish it first "
                    "(run `terabox-crm keys rotate --master` without a new key)"
                )
        print(f"resuming the rotation from master key {state.old_id} to {state.new_id}")
        return state, False
    source = _new_source(args, keyring.configured_source())
    new_id = keyring.kek_id_of(master.read(source))
    if new_id == old_id:
        raise Refused(f"the new master key is the configured one ({old_id})")
    state = master.Rotation(
        old_id=old_id, new_id=new_id, new_source=source, started_at=master.now_text()
    )
    master.write_state(state)
    keyring.reset_cache()
    # Other processes read the state file at most every ROTATION_RECHECK_SECONDS:
    # once this has passed, every new data key is wrapped under the new key.
    time.sleep(master.ROTATION_RECHECK_SECONDS * 2)
    return state, True


def _rotate_master(args) -> int:
    from terabox_crm import audit
    from terabox_crm.core import evidence
    from terabox_crm.crypto import keyring, master
    from terabox_crm.erasure import keys as ledger_keys

    try:
        if args.scope or args.all_workspaces or args.system or args.destroy_unused:
            raise Refused("--master rotates the master key; it takes no scope options")
        if not (args.new_key_file or args.new_key_command) and _close_switched():
            # A crash after the new key took its place, or the operator
            # switched the configuration: the rotation only had to be closed.
            print(f"master key {keyring.configured()[0]} wraps every key; rotation closed")
            return 0
        state, started = _begin_master_rotation(args)
    except Refused as exc:
        print(f"terabox-crm keys rotate: {exc}", file=sys.stderr)
        return 2
    if started:
        audit.record(
            "crypto.master_key.rotation_started",
            object_type="crypto.masterkey",
            object_id=state.new_id,
            payload={"old_kek_id": state.old_id, "new_kek_id": state.new_id},
        )
    total = keyring.count_not_under(state.new_id)
    bar = ProgressBar("re-wrap data keys", sys.stdout)
    done, unreadable, after = 0, [], ""
    try:
        bar(0, total)
        while True:
            moved, left, after = keyring.rewrap_batch(
                state.new_id, after=after, batch_size=args.batch
            )
            done += moved
            unreadable += left
            bar(done + len(unreadable), total)
            if not after:
                break
    finally:
        bar.close()
    ledger_kek = ledger_keys.wrapped_under()
    if ledger_kek is not None and ledger_kek != state.new_id:
        ledger_keys.rewrap(keyring.accepted()[state.new_id])
        print(f"erasure-ledger key re-wrapped under master key {state.new_id}")
    remaining = keyring.count_not_under(state.new_id)
    if remaining:
        print(
            f"{remaining} data key(s) are still not under master key {state.new_id}"
            + (f" ({len(unreadable)} wrapped under a master key not given)" if unreadable else "")
            + "; run the command again to continue",
        )
        for key_id in unreadable[:10]:
            print(f"  not readable: {key_id}")
        return 1
    facts = {
        "old_kek_id": state.old_id,
        "new_kek_id": state.new_id,
        "data_keys_rewrapped": done,
        "source": state.new_source.kind,
    }
    audit.record(
        "crypto.master_key.rotated",
        object_type="crypto.masterkey",
        object_id=state.new_id,
        payload=facts,
    )
    generated = state.new_source.kind == "generated"
    retired = master.retired_path(state.old_id) if generated else None
    # Evidence first: which old key backups taken before now need (S11).
    evidence.record(
        "keys.master_rotated", evidence.PASS, **facts, retired_key_file=str(retired or "")
    )
    _finish_master_rotation(state)
    print(f"master key {state.new_id} now wraps every key ({done} re-wrapped in this run)")
    print(
        f"Keep the old master key {state.old_id} offline for as long as backups taken "
        "before now are kept: they need it to be restored."
    )
    if retired:
        print(f"  it is in {retired}: copy it to your key backup, then delete it here")
    else:
        print(
            f"Now switch the configuration to the new key ({state.new_source.describe()}) "
            "and restart; until then the processes read it through "
            f"{master.state_path()}. Then run `terabox-crm keys rotate --master` once more "
            "to close the rotation."
        )
    return 0


def _finish_master_rotation(state):
    """The embedded default: the new key becomes ``keys/master.key``, the old
    one is kept apart (``keys/retired/``) and the state file goes. Each step is
    safe to repeat after a crash. Other sources keep the state file until the
    operator has switched the configuration (``_close_switched``)."""
    import os

    from terabox_crm import datadir
    from terabox_crm.crypto import keyring, master

    if state.new_source.kind != "generated":
        return
    current = master.generated_path()
    retired = master.retired_path(state.old_id)
    retired.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pending = Path(state.new_source.value)
    if pending.exists():
        old_source = master.Source("generated", str(current))
        if current.exists() and keyring.kek_id_of(master.read(old_source)) == state.old_id:
            datadir.write_private_file(retired, current.read_bytes())  # never overwrites
        os.replace(pending, current)
    master.clear_state()
    keyring.reset_cache()


def _close_switched() -> bool:
    """After the operator switched the configuration to the new key: the state
    file has done its job. True when it was removed."""
    from terabox_crm.crypto import keyring, master

    state = master.read_state()
    if state is None or state.new_id != keyring.configured()[0]:
        return False
    if keyring.count_not_under(state.new_id):
        return False
    master.clear_state()
    keyring.reset_cache()
    return True


def key_status() -> dict:
    """What ``keys status`` shows, as plain JSON values (ids, counts, ages)."""
    from django.db.models import Count, Min

    from terabox_crm.core import rotation
    from terabox_crm.core.models import Workspace
    from terabox_crm.crypto import keyring
    from terabox_crm.crypto.models import DataKey
    from terabox_crm.erasure import keys as ledger_keys

    kek_id, _raw = keyring.configured()
    state = keyring.rotation()
    accepted = keyring.accepted()
    now = timezone.now()
    values = _values_per_key(rotation)
    live = DataKey.objects.exclude(status=DataKey.Status.DESTROYED)
    by_kek = {row["kek_id"]: row["n"] for row in live.values("kek_id").annotate(n=Count("key_id"))}
    names = dict(Workspace.objects.values_list("pk", "slug"))
    names = {str(pk): slug for pk, slug in names.items()}
    keys = []
    for row in (
        live.exclude(scope__startswith="subject:")
        .order_by("scope", "purpose", "created_at")
        .values("key_id", "scope", "purpose", "status", "kek_id", "created_at")
    ):
        keys.append(
            {
                "key_id": row["key_id"],
                "scope": row["scope"],
                "workspace": names.get(row["scope"], ""),
                "purpose": row["purpose"],
                "status": row["status"],
                "kek_id": row["kek_id"],
                "age_days": (now - row["created_at"]).days,
                "values": values.get(row["key_id"], 0),
            }
        )
    subjects = live.filter(scope__startswith="subject:")
    subject_rows = subjects.values("kek_id").annotate(n=Count("key_id"), oldest=Min("created_at"))
    subject_values = sum(
        n for key_id, n in values.items() if key_id not in {k["key_id"] for k in keys}
    )
    ledger_kek = ledger_keys.wrapped_under()
    old = {kid: n for kid, n in by_kek.items() if kid != (state.new_id if state else kek_id)}
    return {
        "master_key": {
            "kek_id": kek_id,
            "source": keyring.configured_source().as_json(),
        },
        "rotation": None
        if state is None
        else {
            "old_kek_id": state.old_id,
            "new_kek_id": state.new_id,
            "started_at": state.started_at,
        },
        "data_keys_by_master_key": by_kek,
        "unreadable_master_keys": sorted(set(by_kek) - set(accepted)),
        "still_under_old_master_key": sum(old.values())
        + (
            1
            if ledger_kek is not None
            and ledger_kek not in {kek_id, state.new_id if state else kek_id}
            else 0
        ),
        "erasure_ledger_key": {"kek_id": ledger_kek},
        "keys": keys,
        "subject_keys": [
            {
                "kek_id": row["kek_id"],
                "count": row["n"],
                "oldest_age_days": (now - row["oldest"]).days,
            }
            for row in subject_rows
        ],
        "subject_key_values": subject_values,
        "destroyed_keys": DataKey.objects.filter(status=DataKey.Status.DESTROYED).count(),
    }


def _values_per_key(rotation) -> dict[str, int]:
    """``{data key id: encrypted values naming it}``: one grouped query per
    encrypted column (``v1:<key id>:…``), so a million rows are counted by the
    database, not loaded."""
    from django.db.models import Count
    from django.db.models.functions import Substr
    from django_scopes import scopes_disabled

    from terabox_crm.crypto.fields import PREFIX

    start = len(PREFIX) + 2  # 1-based, after "v1:"
    counts: dict[str, int] = {}
    with scopes_disabled():
        for item in rotation.encrypted_models():
            for field in item.fields:
                rows = (
                    item.manager.filter(**{f"{field.attname}__startswith": f"{PREFIX}:"})
                    .annotate(_key=Substr(field.attname, start, 16))
                    .values("_key")
                    .annotate(n=Count("pk"))
                    .order_by()
                )
                for row in rows:
                    counts[row["_key"]] = counts.get(row["_key"], 0) + row["n"]
    return counts


def _status(args) -> int:
    from terabox_crm.crypto.models import RotationJob

    if _close_switched():
        print("the master-key rotation is closed: the configuration names the new key")
    report = key_status()
    jobs = list(RotationJob.objects.order_by("-started_at")[:50])
    if args.json:
        report["rotation_jobs"] = [
            {
                "scope": job.scope,
                "state": job.state,
                "new_key_id": job.new_key_id,
                "started_at": job.started_at.isoformat(),
                "rows_done": job.rows_done,
            }
            for job in jobs
        ]
        print(json.dumps(report, indent=2, sort_keys=True))
        return 0
    master = report["master_key"]
    source = master["source"]
    where = source.get("path") or source.get("variable") or source.get("program")
    print(f"master key {master['kek_id']} from {source['kind']} {where}")
    if report["rotation"]:
        rot = report["rotation"]
        print(
            f"master-key rotation under way: {rot['old_kek_id']} -> {rot['new_kek_id']} "
            f"(started {rot['started_at']}); both keys are accepted until it ends"
        )
    for kid, count in sorted(report["data_keys_by_master_key"].items()):
        mark = (
            " (NOT READABLE with the configured key)"
            if kid in report["unreadable_master_keys"]
            else ""
        )
        print(f"  {count} data key(s) wrapped under master key {kid}{mark}")
    print(f"  erasure-ledger key wrapped under master key {report['erasure_ledger_key']['kek_id']}")
    old = report["still_under_old_master_key"]
    print(f"still wrapped under an old master key: {old or 'nothing'}")
    print("data keys (scope, purpose, status, master key, age, encrypted values):")
    for key in report["keys"]:
        scope = key["workspace"] or key["scope"]
        print(
            f"  {key['key_id']}  {scope:<20} {key['purpose']:<10} {key['status']:<12} "
            f"kek {key['kek_id']}  {key['age_days']} d  {key['values']} value(s)"
        )
    for row in report["subject_keys"]:
        print(
            f"  {row['count']} person key(s) under kek {row['kek_id']}, oldest "
            f"{row['oldest_age_days']} d"
        )
    print(
        f"  person keys protect {report['subject_key_values']} value(s); "
        f"{report['destroyed_keys']} key(s) destroyed"
    )
    if not jobs:
        print("no data-key rotations yet")
    for job in jobs:
        print(
            f"{job.started_at:%Y-%m-%d %H:%M} {job.scope} {job.state} key {job.new_key_id} "
            f"rows {job.rows_done} skipped {job.rows_skipped} unreadable {len(job.unreadable)}"
        )
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    prepare()
    from terabox_crm.context import system_context
    from terabox_crm.env import ConfigurationError

    try:
        with system_context("cli"):
            return {"rotate": _rotate, "status": _status}[args.command](args)
    except ConfigurationError as exc:
        print(f"terabox-crm keys: {exc}", file=sys.stderr)
        return 2
