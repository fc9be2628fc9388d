"""``python -m terabox_crm.exports.helper``: a helper process of a large
export's build (``exports.building``), started by the job with its own
environment. Django is set up here, before anything imports a model.

Its first line on ``stdin`` names the export and the database the job uses;
then ``building.serve``. A helper that cannot plan the export (the export
no longer being built, the requester's rights gone, a key missing) says so
on ``stdout`` and stops: the job builds its blocks itself."""

from __future__ import annotations

import json
import logging
import os
import sys

logger = logging.getLogger("terabox_crm.exports.building")


def main() -> int:
    # The protocol owns the real stdout; anything printed goes to stderr.
    stdout = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    stdin = sys.stdin.buffer
    spec = json.loads(stdin.readline())
    from terabox_crm.ops.bootstrap import setup_django

    setup_django()
    from django.db import connections

    from terabox_crm.exports import building, services

    os.nice(building.HELPER_NICE)
    connections["default"].settings_dict["NAME"] = spec["database"]
    try:
        with services.helper_plan(spec["export"]) as plan:
            building.serve(stdin, stdout, plan)
    except BrokenPipeError:
        return 0  # the job stopped reading: it failed or was stopped
    except Exception as error:
        logger.exception("export %s: helper failed", spec["export"])
        stdout.write(json.dumps({"error": type(error).__name__}).encode() + b"\n")
        stdout.flush()
        return 1
    finally:
        connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
