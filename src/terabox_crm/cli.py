"""The ``terabox-crm`` command: one entry point, one module per subcommand.

Every subcommand is a module of the command-line layer (``ops``) exposing
``main(argv) -> int``: it parses its arguments, runs the prologue
(``ops.bootstrap.prepare``: private umask, Django, migrations) and then calls
the engines' and apps' own functions, so no engine imports the command line
(docs/architecture.md). This module only dispatches.
"""

from __future__ import annotations

import importlib
import sys

from terabox_crm.env import ConfigurationError

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module, one-line help)
    "serve": ("terabox_crm.ops.serve", "run the HTTPS server and an embedded job worker"),
    "worker": ("terabox_crm.ops.worker", "run a job worker (for Redis-backed deployments)"),
    "createowner": ("terabox_crm.ops.createowner", "create a workspace and its first owner"),
    "audit": ("terabox_crm.ops.auditlog", "audit log tools: verify"),
    "keys": (
        "terabox_crm.ops.keys",
        "key tools: rotate (data keys; --master for the master key), status",
    ),
    "security": (
        "terabox_crm.ops.security_report",
        "security report [--json]: TLS, keys, two-factor, audit chain (exit 0/1/2)",
    ),
    "erasure": ("terabox_crm.ops.erasure", "erasure ledger: reapply (after a restore), status"),
    "retention": (
        "terabox_crm.ops.retention",
        "apply the retention rules: run [--dry-run], status",
    ),
    "backup": (
        "terabox_crm.ops.backup",
        "encrypted backups: create, list, verify [--drill], restore [--force], prune",
    ),
    "search": ("terabox_crm.ops.search", "search-index tools: reindex (after an upgrade)"),
    "token": ("terabox_crm.ops.apitoken", "print a new personal API token for a member"),
    "policies": ("terabox_crm.ops.policies", "publish a policy version, list versions, notify"),
    "manage": ("terabox_crm.ops.manage", "run a Django management command"),
}


def usage() -> str:
    lines = ["usage: terabox-crm COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<12} {help_text}" for name, (_module, help_text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"terabox-crm: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.main(rest) or 0)
    except ConfigurationError as exc:
        # A missing or malformed setting is the operator's to fix: say which, no traceback.
        print(f"terabox-crm {name}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
