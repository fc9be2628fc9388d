"""Where the master key (the KEK) comes from, and a master-key rotation in
progress (S3; docs/operations.md "Keys").

Sources — exactly one may be set; two is a configuration error naming both:

* ``CRM_MASTER_KEY``: the key itself, 32 bytes base64 (environment);
* ``CRM_MASTER_KEY_FILE``: a file holding it (Docker/Kubernetes secrets);
* ``CRM_MASTER_KEY_COMMAND``: a command whose standard output is the key,
  for an external KMS or secret manager (``vault kv get -field=key …``,
  ``aws secretsmanager get-secret-value …``). It is split like a shell would
  (``shlex``) but run *without* a shell, with a timeout
  (``CRM_MASTER_KEY_COMMAND_TIMEOUT`` seconds, default 10);
* none of them, outside production only: ``keys/master.key`` in the data
  dir, generated on first use (the embedded default).

An error names the source that failed (the variable, the file's path, the
command's exit status) and never the key: the key is never printed, logged
or put in an exception.

A master-key rotation writes ``keys/master-rotation.state`` in the data dir
before it re-wraps anything. It names the old and the new key by id and
where the new key comes from (a file path, a command, or — for the embedded
default — ``keys/master.key.new``), never the key. While it exists every
process *accepts both* keys for unwrapping and wraps new data keys under
the new one (``keyring.kek``), so a rotation can run while the application
serves and a crash halfway leaves a state the next run finishes. Processes
look at the file at most every ``ROTATION_RECHECK_SECONDS``.
"""

from __future__ import annotations

import base64
import binascii
import os
import shlex
import subprocess  # nosec B404  # runs the operator's own KMS command, without a shell
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from terabox_crm import datadir
from terabox_crm.env import ConfigurationError, env_int

ENV, FILE, COMMAND = "CRM_MASTER_KEY", "CRM_MASTER_KEY_FILE", "CRM_MASTER_KEY_COMMAND"
SOURCE_VARIABLES = (ENV, FILE, COMMAND)
COMMAND_TIMEOUT_VARIABLE = "CRM_MASTER_KEY_COMMAND_TIMEOUT"
DEFAULT_COMMAND_TIMEOUT = 10
GENERATED_NAME = "master.key"
PENDING_NAME = "master.key.new"
STATE_NAME = "master-rotation.state"
RETIRED_DIR = "retired"
ROTATION_RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Source:
    """One place a master key is read from. ``kind`` is ``env``, ``file``,
    ``command`` or ``generated``; ``value`` is the variable name, the file's
    path or the command line (never the key)."""

    kind: str
    value: str

    def describe(self) -> str:
        if self.kind == "env":
            return f"{ENV} (environment)"
        if self.kind == "file":
            return f"file {self.value}"
        if self.kind == "command":
            return f"command {shlex.split(self.value)[0] if self.value.strip() else '?'}"
        return f"generated file {self.value}"

    def as_json(self) -> dict:
        # A command line may carry options an operator prefers not to show:
        # only its program is reported.
        if self.kind == "command":
            return {"kind": "command", "program": shlex.split(self.value)[0]}
        if self.kind == "env":
            return {"kind": "env", "variable": ENV}
        return {"kind": self.kind, "path": self.value}


def generated_path() -> Path:
    return datadir.private_dir("keys") / GENERATED_NAME


def configured_source() -> Source:
    """The one configured source; ``ConfigurationError`` when two or more are set."""
    chosen = [name for name in SOURCE_VARIABLES if os.environ.get(name, "").strip()]
    if len(chosen) > 1:
        raise ConfigurationError(
            "the master key must come from exactly one source, but "
            + " and ".join(chosen)
            + " are all set; unset all but one"
        )
    if not chosen:
        return Source("generated", str(generated_path()))
    name = chosen[0]
    value = os.environ[name].strip()
    return {
        ENV: Source("env", ENV),
        FILE: Source("file", value),
        COMMAND: Source("command", value),
    }[name]


def is_set() -> bool:
    """True when the environment names a source (production requires it)."""
    return any(os.environ.get(name, "").strip() for name in SOURCE_VARIABLES)


def decode(text: str, source: Source) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        name = ENV if source.kind == "env" else f"the master key from {source.describe()}"
        raise ConfigurationError(f"{name} must be 32 bytes, base64-encoded")
    return raw


def read(source: Source, *, create: bool = False) -> bytes:
    """The key of ``source`` (32 raw bytes). ``create``: a missing generated
    file is made (the embedded default's first start)."""
    if source.kind == "env":
        return decode(os.environ.get(ENV, ""), source)
    if source.kind == "command":
        return decode(run_command(source.value), source)
    path = Path(source.value)
    if source.kind == "generated" and create and not path.exists():
        datadir.write_private_file(path, base64.b64encode(os.urandom(32)))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"the master key {source.describe()} cannot be read: {exc.strerror or exc}"
        ) from None
    return decode(text, source)


def run_command(command_line: str) -> str:
    """Run the operator's key command without a shell; its stdout is the key."""
    source = Source("command", command_line)
    try:
        argv = shlex.split(command_line)
    except ValueError as exc:
        raise ConfigurationError(f"{COMMAND} cannot be parsed: {exc}") from None
    if not argv:
        raise ConfigurationError(f"{COMMAND} is empty")
    timeout = env_int(COMMAND_TIMEOUT_VARIABLE, DEFAULT_COMMAND_TIMEOUT)
    try:
        done = subprocess.run(  # noqa: S603  # nosec B603  # the operator's configured command, no shell
            argv, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise ConfigurationError(
            f"the master key {source.describe()} did not answer within {timeout} s "
            f"({COMMAND_TIMEOUT_VARIABLE})"
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"the master key {source.describe()} could not be started: {exc.strerror or exc}"
        ) from None
    if done.returncode != 0:
        # Its standard error helps (a KMS says why it refused); its standard
        # output might be a key, so it is never shown.
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        tail = f": {reason[-1][:200]}" if reason else ""
        raise ConfigurationError(
            f"the master key {source.describe()} failed with exit status {done.returncode}{tail}"
        )
    return done.stdout.decode("utf-8", "replace")


# --- a master-key rotation in progress ---------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    """What ``keys/master-rotation.state`` says (no key material in it)."""

    old_id: str
    new_id: str
    new_source: Source
    started_at: str

    def lines(self) -> str:
        """The state file's text: ``name=value`` lines (no JSON reader below
        core: request bodies and files alike go through ``core.jsonbody``)."""
        fields = {
            "v": "1",
            "old": self.old_id,
            "new": self.new_id,
            "new_source_kind": self.new_source.kind,
            "new_source_value": self.new_source.value,
            "started_at": self.started_at,
        }
        for name, value in fields.items():
            if "\n" in value or "\r" in value:
                raise ConfigurationError(f"a master-key rotation's {name} cannot span lines")
        return "".join(f"{name}={value}\n" for name, value in fields.items())


def state_path() -> Path:
    return datadir.private_dir("keys") / STATE_NAME


def pending_path() -> Path:
    return datadir.private_dir("keys") / PENDING_NAME


def retired_path(kek_id: str) -> Path:
    return datadir.private_dir("keys") / RETIRED_DIR / f"master-{kek_id}.key"


def read_state() -> Rotation | None:
    target = state_path()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigurationError(f"{target} cannot be read: {exc.strerror or exc}") from None
    record = dict(line.partition("=")[::2] for line in text.splitlines() if "=" in line)
    try:
        if record["v"] != "1" or record["new_source_kind"] not in {"file", "command", "generated"}:
            raise KeyError
        return Rotation(
            old_id=record["old"],
            new_id=record["new"],
            new_source=Source(record["new_source_kind"], record["new_source_value"]),
            started_at=record.get("started_at", ""),
        )
    except KeyError:
        raise ConfigurationError(f"{target} is not a master-key rotation record") from None


def write_state(rotation: Rotation) -> None:
    """Replace the state file atomically (0600)."""
    target = state_path()
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(rotation.lines())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)


def clear_state() -> None:
    state_path().unlink(missing_ok=True)


def state_stamp() -> tuple[int, int] | None:
    """A cheap fingerprint of the state file (one ``stat``): changes when it does."""
    try:
        info = state_path().stat()
    except FileNotFoundError:
        return None
    return (info.st_mtime_ns, info.st_size)


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
