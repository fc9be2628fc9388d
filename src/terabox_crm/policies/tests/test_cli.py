"""``terabox-crm policies publish|list|notify``: the operator's tools (P10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from terabox_crm.audit.models import AuditEvent
from terabox_crm.ops import policies as cli
from terabox_crm.policies import selectors
from terabox_crm.policies.models import NoticeDispatch, PolicyVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def texts(tmp_path):
    ja, en = tmp_path / "v2.ja.md", tmp_path / "v2.en.md"
    ja.write_text("# プライバシーポリシー\n\n{{ data_inventory }}\n", encoding="utf-8")
    en.write_text("# Privacy policy\n\n{{ data_inventory }}\n", encoding="utf-8")
    return str(ja), str(en)


def _day(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_publish_stores_the_version_and_audits_it(texts, capsys):
    ja, en = texts
    args = ["publish", "--kind", "privacy", "--ja", ja, "--en", en, "--effective", _day(31)]
    assert cli.main([*args, "--summary-en", "New §1", "--summary-ja", "第1条を更新"]) == 0
    assert "Published privacy policy version 2" in capsys.readouterr().out
    version = selectors.upcoming("privacy")
    assert version.number == 2 and version.summary_en == "New §1"
    assert timezone.localtime(version.effective_at).hour == 0
    event = AuditEvent.objects.get(action="policies.version.published")
    assert event.channel == "cli"

    assert cli.main(["list"]) == 0
    assert "privacy   v2" in capsys.readouterr().out


def test_publish_with_too_short_a_notice_is_refused_and_stores_nothing(texts, capsys):
    ja, en = texts
    args = ["publish", "--kind", "security", "--ja", ja, "--en", en, "--effective", _day(10)]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "refused" in err and "30" in err
    assert PolicyVersion.objects.filter(kind="security").count() == 1


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("ja_JP.UTF-8", "30 日以上前に公開する必要があります"), ("C.UTF-8", "at least 30 days")],
)
def test_the_refusal_speaks_the_terminals_language(texts, capsys, monkeypatch, lang, expected):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    ja, en = texts
    args = ["publish", "--kind", "privacy", "--ja", ja, "--en", en, "--effective", _day(10)]
    assert cli.main(args) == 1
    assert expected in capsys.readouterr().err
    assert PolicyVersion.objects.filter(kind="privacy").count() == 1


def test_a_malformed_date_is_a_usage_error(texts, capsys):
    ja, en = texts
    args = ["publish", "--kind", "privacy", "--ja", ja, "--en", en, "--effective", "next month"]
    assert cli.main(args) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_notify_sends_what_is_due(cast, capsys, settings):
    settings.POLICY_NOTICE_DAYS = 30
    PolicyVersion.objects.create(
        kind="privacy",
        number=2,
        effective_at=timezone.now() + timedelta(days=29),
        published_at=timezone.now() - timedelta(days=2),
        body_ja="# 二",
        body_en="# Two",
    )
    assert cli.main(["notify"]) == 0
    assert "Queued" in capsys.readouterr().out
    assert NoticeDispatch.objects.get(audience="users").status == NoticeDispatch.Status.DONE
