"""``terabox-crm createowner``: in-process, and once as a real command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from terabox_crm import cli as top_level
from terabox_crm.accounts.models import User
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.core.tests.support import core_state, events
from terabox_crm.ops import createowner as cli
from terabox_crm.testing import factories

GOOD = "a long and fine passphrase"


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("CRM_PASSWORD", GOOD)
    return monkeypatch


def _owner_of(name: str) -> User:
    workspace = Workspace.objects.get(name=name)
    with scopes_disabled():
        return Membership.objects.get(workspace=workspace, role=Role.OWNER).user


def test_creates_workspace_and_owner(db, env, capsys):
    assert cli.main(["--email", "Boss@Example.jp", "--workspace", "Initech"]) == 0
    owner = _owner_of("Initech")
    assert owner.email == "boss@example.jp"
    assert owner.check_password(GOOD)
    assert "Initech" in capsys.readouterr().out


def test_is_audited_on_the_system_chain_with_channel_cli(db, env):
    cli.main(["--email", "boss@example.jp", "--workspace", "Initech"])
    [created] = events("core.owner.created")
    assert created.chain == "system"
    assert created.channel == "cli"
    assert created.payload["new_user"] is True
    assert "boss" not in str(created.payload)
    [workspace_event] = events("core.workspace.created")
    assert workspace_event.channel == "cli"


def test_is_reachable_through_the_terabox_crm_command(db, env):
    assert top_level.main(["createowner", "--email", "b@example.jp", "--workspace", "W"]) == 0
    assert Workspace.objects.filter(name="W").exists()


def test_weak_password_is_refused_with_the_policy_message(db, env, capsys):
    env.setenv("CRM_PASSWORD", "short")
    before = core_state()
    assert cli.main(["--email", "boss@example.jp", "--workspace", "Initech"]) == 1
    assert "12" in capsys.readouterr().err
    assert core_state() == before
    assert User.objects.find_by_email("boss@example.jp") is None


def test_messages_follow_the_terminal_language(db, env, capsys):
    env.setenv("LANG", "ja_JP.UTF-8")
    env.setenv("CRM_PASSWORD", "short")
    assert cli.main(["--email", "boss@example.jp", "--workspace", "Initech"]) == 1
    assert "エラー" in capsys.readouterr().err


def test_malformed_email_is_refused(db, env, capsys):
    assert cli.main(["--email", "not an email", "--workspace", "Initech"]) == 1
    assert "valid email" in capsys.readouterr().err
    assert not Workspace.objects.filter(name="Initech").exists()


def test_empty_workspace_name_is_refused(db, env, capsys):
    assert cli.main(["--email", "boss@example.jp", "--workspace", "  "]) == 1
    assert User.objects.find_by_email("boss@example.jp") is None


def test_existing_account_needs_its_own_password(db, env, capsys):
    factories.make_user("boss@example.jp", "the real password of boss")
    before = core_state()
    assert cli.main(["--email", "boss@example.jp", "--workspace", "Initech"]) == 1
    assert "does not match" in capsys.readouterr().err
    assert core_state() == before


def test_existing_account_becomes_owner_of_another_workspace(db, env, capsys):
    user = factories.make_user("boss@example.jp", GOOD)
    assert cli.main(["--email", "boss@example.jp", "--workspace", "Second"]) == 0
    assert _owner_of("Second") == user
    assert "existing account" in capsys.readouterr().out
    assert events("core.owner.created")[0].payload["new_user"] is False


def test_workspace_names_may_repeat_but_slugs_do_not(db, env):
    cli.main(["--email", "a@example.jp", "--workspace", "Same"])
    cli.main(["--email", "b@example.jp", "--workspace", "Same"])
    slugs = list(Workspace.objects.filter(name="Same").values_list("slug", flat=True))
    assert len(set(slugs)) == 2


def test_password_is_asked_twice_without_crm_password(db, env, capsys):
    env.delenv("CRM_PASSWORD")
    answers = iter([GOOD, GOOD])
    env.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert cli.main(["--email", "boss@example.jp", "--workspace", "Initech"]) == 0


def test_different_passwords_at_the_prompt_are_refused(db, env, capsys):
    env.delenv("CRM_PASSWORD")
    answers = iter([GOOD, GOOD + "!"])
    env.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert cli.main(["--email", "boss@example.jp", "--workspace", "Initech"]) == 1
    assert "not the same" in capsys.readouterr().err
    assert not Workspace.objects.filter(name="Initech").exists()


def test_missing_arguments_are_a_usage_error(db, env):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--email", "boss@example.jp"])
    assert exited.value.code == 2


@pytest.mark.slow
@pytest.mark.embedded_database
def test_real_command_on_a_fresh_data_dir(tmp_path):
    command = Path(sys.executable).with_name("terabox-crm")
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CRM_MASTER_KEY", "CRM_SECRET_KEY"}
        and not key.startswith(("CRM_", "DJANGO_"))
    }
    environment.update(
        {"CRM_DATA_DIR": str(tmp_path / "data"), "CRM_PASSWORD": GOOD, "LANG": "C.UTF-8"}
    )

    def run(*args: str, password: str = GOOD) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
            [str(command), "createowner", *args],
            env={**environment, "CRM_PASSWORD": password},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    first = run("--email", "owner@example.jp", "--workspace", "Fresh KK")
    assert first.returncode == 0, first.stderr
    assert "Fresh KK" in first.stdout
    assert (tmp_path / "data" / "db.sqlite3").exists()

    wrong = run("--email", "owner@example.jp", "--workspace", "Other", password="x" * 20)
    assert wrong.returncode == 1
    assert "does not match" in wrong.stderr

    again = run("--email", "owner@example.jp", "--workspace", "Other")
    assert again.returncode == 0, again.stderr
    assert "existing account" in again.stdout
