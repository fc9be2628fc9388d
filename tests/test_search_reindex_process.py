"""``terabox-crm search reindex`` as an operator runs it after an upgrade: a
real process on a data dir whose company was indexed the old way (whole runs
only), found by a word of its name afterwards (docs/decisions/0010)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from serving import COMMAND, clean_env

pytestmark = pytest.mark.slow

PASSWORD = "a long owner passphrase 2026"

PRELUDE = (
    "from terabox_crm.ops.bootstrap import prepare; prepare()\n"
    "from django_scopes import scope, scopes_disabled\n"
    "from terabox_crm.core.models import Membership\n"
    "from terabox_crm.contacts import search, selectors, services\n"
    "from terabox_crm.crypto import normalise, search_index\n"
    "from terabox_crm.context import system_context\n"
    "with scopes_disabled():\n"
    "    m = Membership.objects.select_related('workspace', 'user').get()\n"
)
OLD_COMPANY = PRELUDE + (
    "with system_context('cli'), scope(workspace=m.workspace):\n"
    "    c = services.company_create(membership=m,"
    " data=services.CompanyData(name='株式会社さくら物流'))\n"
    "    search_index.replace(m.workspace_id, search.COMPANY_NAME, c.pk,"
    " normalise.name_tokens(c.name))\n"
)
FOUND = PRELUDE + (
    "with scope(workspace=m.workspace):\n"
    "    print([c.name for c in selectors.global_search(m, 'さくら').companies])\n"
)


def _run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COMMAND, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def _python(env, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_reindex_finds_old_rows_by_their_words(tmp_path):
    env = clean_env(tmp_path, CRM_PASSWORD=PASSWORD, LANG="C.UTF-8")
    env["DJANGO_SETTINGS_MODULE"] = "terabox_crm.settings"
    created = _run(env, "createowner", "--email", "owner@example.com", "--workspace", "Acme")
    assert created.returncode == 0, created.stdout + created.stderr
    _python(env, OLD_COMPANY)
    assert _python(env, FOUND) == "[]"

    unknown = _run(env, "search", "reindex", "--workspace", "no-such-workspace")
    assert unknown.returncode == 2 and "no workspace" in unknown.stderr
    bad = _run(env, "search", "reindex", "--batch", "0")
    assert bad.returncode == 2

    done = _run(env, "search", "reindex", "--batch", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "contacts.company 1" in done.stdout and "done:" in done.stdout
    assert not (tmp_path / "search" / "reindex.progress").exists()  # finished: no progress left
    assert _python(env, FOUND) == "['株式会社さくら物流']"

    again = _run(env, "search", "reindex")  # harmless to rerun
    assert again.returncode == 0 and "resuming" not in again.stdout
    assert _python(env, FOUND) == "['株式会社さくら物流']"

    # A run that stopped is resumed from the progress it left in the data dir.
    workspace = _python(env, PRELUDE + "print(m.workspace_id)")
    (tmp_path / "search" / "reindex.progress").write_text(
        f"key *\n{workspace} contacts.company - 0 1\n", encoding="utf-8"
    )
    resumed = _run(env, "search", "reindex")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resuming the previous run" in resumed.stdout
    assert "contacts.company 0" in resumed.stdout  # done already: not read again
    assert not (tmp_path / "search" / "reindex.progress").exists()
