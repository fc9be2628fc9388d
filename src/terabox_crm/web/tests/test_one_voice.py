"""One English text, one translation where it is shown (docs/ui.md, Terminology).

Django merges every installed app's catalog into one per language and the app
listed first wins: before strings had contexts a ticket's "Closed" read
「クローズ日時」 (a deal's close date), an email activity 「メールアドレス」
(django.contrib.auth's field label), an open task 「進行中」, the inventory's
"Note" column 「メモ」 and the notifications' paging 「古いイベント」.
``scripts/check_catalogs`` now fails on any such collision; these tests show the
screens the collisions broke, in Japanese and in English.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from terabox_crm.activities import services as activities
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.notifications import services as notifications
from terabox_crm.support import services as support
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def _page(client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "closed", "wrong"), [("ja", "クローズ", "クローズ日時"), ("en", "Closed", None)]
)
def test_a_closed_ticket_reads_closed_not_a_close_date(client, cast, language, closed, wrong):
    ticket = open_ticket(cast.acme, cast.member)
    with scope(workspace=cast.acme):
        support.ticket_set_status(membership=cast.member_membership, ticket=ticket, status="closed")
    login(client, cast.member)
    page = _page(client, reverse("support:ticket", args=[ticket.pk]), language)
    # The status badge (the members who may change it see a form, not a <dd>).
    assert f"</span>{closed}</span>" in page
    if wrong:
        assert wrong not in page


@pytest.mark.parametrize(
    ("language", "email", "address"), [("ja", "メール", "メールアドレス"), ("en", "Email", None)]
)
def test_an_email_activity_reads_email_not_email_address(client, cast, language, email, address):
    contact = make_contact(member_of(cast.acme, cast.member))
    with scope(workspace=cast.acme):
        activities.activity_log(
            membership=cast.member_membership,
            data=activities.ActivityData(
                kind="email",
                occurred_at=timezone.now(),
                subject="見積書を送付",
                links=activities.Links(contact=contact),
            ),
        )
    login(client, cast.member)
    page = _page(client, reverse("contacts:detail", args=[contact.pk]), language)
    assert f'<span class="badge">{email}</span>' in page
    if address:
        assert f'<span class="badge">{address}</span>' not in page


@pytest.mark.parametrize(("language", "open_"), [("ja", "未完了"), ("en", "Open")])
def test_an_open_task_reads_open_not_in_progress(client, cast, language, open_):
    with scope(workspace=cast.acme):
        task = activities.task_create(
            membership=cast.member_membership,
            data=activities.TaskData(
                title="見積書を送る",
                due_at=timezone.now() + timezone.timedelta(days=3),
                assignee=cast.member,
            ),
        )
    login(client, cast.member)
    for url in (reverse("activities:task", args=[task.pk]), reverse("activities:tasks")):
        page = _page(client, url, language)
        assert f'<span class="badge badge-info">{open_}</span>' in page
        assert "進行中" not in page


@pytest.mark.parametrize(
    ("language", "note", "record"), [("ja", "備考", "記録の種類"), ("en", "Note", "Record")]
)
def test_the_inventory_reads_note_as_a_remark(client, cast, language, note, record):
    login(client, cast.owner)
    page = _page(client, reverse("privacy:inventory"), language)
    assert f'<th scope="col">{note}</th>' in page
    assert f'<th scope="col">{record}</th>' in page
    assert "メモ</th>" not in page


@pytest.mark.parametrize(
    ("language", "older", "newer"), [("ja", "古い項目", "新しい項目"), ("en", "Older", "Newer")]
)
def test_notifications_paging_does_not_speak_of_events(client, cast, language, older, newer):
    for _ in range(21):
        notifications.notification_send(user=cast.member, kind="account.password_changed")
    login(client, cast.member)
    url = reverse("notifications:list")
    first = _page(client, url, language)
    assert f">{older}</a>" in first
    assert "古いイベント" not in first
    second = _page(client, f"{url}?page=2", language)
    assert f">{newer}</a>" in second


# Words a Japanese screen may show in Latin letters: names and acronyms.
LATIN_ALLOWED = {"Argon2id", "CRM", "HTML", "TOTP", "IP", "API", "URL", "ID", "CSV", "SMTP", "OTP"}


def _latin_words(html: str) -> set[str]:
    main = html.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", main)
    return set(re.findall(r"[A-Za-z][A-Za-z0-9]*", text)) - LATIN_ALLOWED


def test_the_inventory_page_in_japanese_has_no_english_left(client, cast):
    login(client, cast.owner)
    page = _page(client, reverse("privacy:inventory"), "ja")
    assert _latin_words(page) == set()
    assert "ユーザーがポリシーの版に同意した場所" in page


def test_names_are_shown_as_typed_not_upper_cased():
    css = (Path(__file__).resolve().parents[1] / "static" / "web" / "app.css").read_text()
    assert "text-transform: uppercase" not in css
