"""``terabox-crm token``, in-process (the subprocess run is in tests/)."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from terabox_crm.api.models import ApiToken
from terabox_crm.api.tests.conftest import bearer
from terabox_crm.ops import apitoken as cli


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)


def test_prints_a_working_token(client, cast, capsys):
    code = cli.main(
        ["--email", "admin@acme.example", "--workspace", "Acme", "--scopes", "read,export",
         "--name", "Nightly", "--days", "7"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0
    secret = out.strip()
    assert secret.startswith("tbx_") and "\n" not in secret
    with scopes_disabled():
        token = ApiToken.objects.get(token_hash=ApiToken.hash_secret(secret))
    assert token.scopes == ["read", "export"]
    assert token.name == "Nightly" and token.user == cast.admin
    assert token.prefix in err
    response = client.get("/api/v1/audit-events/", secure=True, **bearer(secret))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--email", "nobody@acme.example", "--workspace", "Acme"], "No account has this email"),
        (["--email", "admin@acme.example", "--workspace", "Nope"], "No workspace has this name"),
        (["--email", "outsider@globex.example", "--workspace", "Acme"], "not a member"),
        (["--email", "admin@acme.example", "--workspace", "Acme", "--scopes", "admin"],
         "Unknown scope: admin"),
        (["--email", "admin@acme.example", "--workspace", "acme", "--days", "366"],
         "between 1 and 365 days"),
    ],
)  # fmt: skip
def test_refusals_exit_1_with_a_clear_message(cast, capsys, argv, message):
    assert cli.main(argv) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert message in err
    with scopes_disabled():
        assert not ApiToken.objects.exists()


def test_messages_in_japanese(cast, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    assert cli.main(["--email", "admin@acme.example", "--workspace", "Nope"]) == 1
    assert "この名前のワークスペースはありません。" in capsys.readouterr().err


def test_usage_error_exits_2(cast):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--email", "admin@acme.example"])
    assert exited.value.code == 2


@pytest.mark.parametrize(
    ("language", "name"), [("ja", "コマンドラインで作成したトークン"), ("en", "Command-line token")]
)
def test_the_default_name_is_in_the_users_language_not_the_terminals(cast, capsys, language, name):
    cast.admin.language = language
    cast.admin.save(update_fields=["language"])
    assert cli.main(["--email", "admin@acme.example", "--workspace", "Acme"]) == 0
    with scopes_disabled():
        token = ApiToken.objects.get(user=cast.admin)
    assert token.name == name
    assert "CLI" not in token.name
