"""The task list's quick add (docs/ui.md "Task quick add"): one line — title,
due in the product's date and time boxes, assignee, Add — the reminder and
notes behind "More options", in Japanese and English, as a plain POST."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope

from terabox_crm.activities.models import Task
from terabox_crm.contacts.tests.support import member_of
from terabox_crm.testing.auth import login


def _quick(html: str) -> str:
    return html.split('<form class="card quick-add"', 1)[1].split("</form>", 1)[0]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            ("Task title", "Due", "Assignee", ">Add</button>", "More options", "e.g. 2026-04-01"),
        ),
        ("ja", ("タスク名", "期限", "担当者", ">追加</button>", "その他の項目", "例：2026/04/01")),
    ],
)
def test_the_quick_add_is_one_line_with_more_options_behind_a_disclosure(
    client, cast, language, words
):
    login(client, cast.member)
    html = client.get(reverse("activities:tasks"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    form = _quick(html)
    title, due, assignee, add, more, hint = words
    line, rest = form.split('<details class="quick-add-more"', 1)
    assert f'placeholder="{title}"' in line and due in line and assignee in line and add in line
    # The due is the product's date and time boxes (core.dates.DateTimeField).
    assert 'name="due_at"' in line and 'name="due_at_time"' in line and hint in line
    assert 'type="datetime-local"' not in form and "---------" not in form
    assert f"<summary>{more}</summary>" in rest
    assert 'name="remind_at"' in rest and 'name="notes"' in rest
    assert 'name="notes"' not in line and line.count('type="submit"') == 1


def test_a_task_is_added_from_the_one_line(client, cast):
    login(client, cast.member)
    response = client.post(
        reverse("activities:tasks"),
        {
            "title": "見積書を送付",
            "due_at": "2026/12/24",
            "due_at_time": "10:00",
            "assignee": str(member_of(cast.acme, cast.member).pk),
        },
    )
    assert response.status_code == 302
    with scope(workspace=cast.acme):
        task = Task.objects.get()
    assert task.title == "見積書を送付" and task.remind_at is None and task.notes == ""


def test_a_refused_quick_add_keeps_what_was_typed_and_opens_more_only_for_its_errors(client, cast):
    login(client, cast.member)
    response = client.post(
        reverse("activities:tasks"),
        {"title": "電話する", "due_at": "", "assignee": str(member_of(cast.acme, cast.member).pk)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    form = _quick(response.content.decode())
    assert 'value="電話する"' in form and 'id="id_due_at_errors"' in form
    assert '<details class="quick-add-more">' in form  # closed: its fields are fine
    response = client.post(
        reverse("activities:tasks"),
        {
            "title": "電話する",
            "due_at": "2026/12/24",
            "remind_at": "2026/99/99",
            "assignee": str(member_of(cast.acme, cast.member).pk),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert '<details class="quick-add-more" open>' in _quick(response.content.decode())
    with scope(workspace=cast.acme):
        assert not Task.objects.exists()
