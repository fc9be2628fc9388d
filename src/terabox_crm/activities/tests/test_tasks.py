import email
from datetime import timedelta
from email import policy

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services
from terabox_crm.activities.models import Task
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.notifications.models import Notification
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login


def make_task(cast, *, remind_in=timedelta(minutes=-1), assignee=None, **extra):
    now = timezone.now()
    with scope(workspace=cast.acme):
        return services.task_create(
            membership=cast.member_membership,
            data=services.TaskData(
                title="Send the quote to 山田様",
                due_at=now + timedelta(hours=1),
                remind_at=now + remind_in if remind_in is not None else None,
                assignee=assignee or cast.member,
                **extra,
            ),
        )


def test_a_due_reminder_notifies_in_app_and_queues_an_email_once(
    cast, django_capture_on_commit_callbacks
):
    make_task(cast)
    with django_capture_on_commit_callbacks():
        assert services.task_reminders_send() == 1
    assert services.task_reminders_send() == 0
    with scopes_disabled():
        notification = Notification.objects.get(user=cast.member)
    assert notification.kind == "activities.task_reminder"
    assert "山田" not in str(notification.params)
    assert OutboxEmail.objects.filter(kind="activities/email/task_reminder").count() == 1


def test_a_reminder_already_due_when_the_task_is_saved_is_sent_at_once(
    cast, django_capture_on_commit_callbacks
):
    """Set for the current minute: no wait for the next minute's sweep."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        task = make_task(cast)
    assert len(callbacks) >= 1
    with scopes_disabled():
        assert Notification.objects.filter(user=cast.member).count() == 1
        assert Task.objects.get(pk=task.pk).reminded_at is not None
    assert services.task_reminders_send() == 0  # the sweep finds it sent


def test_moving_a_reminder_to_now_sends_it_at_once_and_a_future_one_waits(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        task = make_task(cast, remind_in=timedelta(minutes=30))
    with scopes_disabled():
        assert not Notification.objects.filter(user=cast.member).exists()
    now = timezone.now()
    with scope(workspace=cast.acme), django_capture_on_commit_callbacks(execute=True):
        services.task_update(
            membership=cast.member_membership,
            task=task,
            data=services.TaskChange(
                title=task.title,
                due_at=task.due_at,
                remind_at=now - timedelta(seconds=5),
                assignee=cast.member,
            ),
        )
    with scopes_disabled():
        assert Notification.objects.filter(user=cast.member).count() == 1


def test_a_reminder_not_yet_due_waits(cast):
    make_task(cast, remind_in=timedelta(minutes=30))
    assert services.task_reminders_send() == 0


def test_the_reminder_email_reaches_a_real_smtp_server(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    cast.member.language = "en"
    cast.member.save(update_fields=["language"])
    make_task(cast)
    with django_capture_on_commit_callbacks(execute=True):
        services.task_reminders_send()
    assert smtp_server.event.wait(10)
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["member@acme.example"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert str(message["Subject"]) == "Reminder: Send the quote to 山田様"
    assert "is due" in message.get_body(("plain",)).get_content()


def test_the_reminder_email_is_in_japanese_for_a_japanese_user(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    cast.member.language = "ja"
    cast.member.save(update_fields=["language"])
    make_task(cast)
    with django_capture_on_commit_callbacks(execute=True):
        services.task_reminders_send()
    assert smtp_server.event.wait(10)
    message = email.message_from_bytes(smtp_server.messages[0].content, policy=policy.default)
    assert "リマインダー" in str(message["Subject"])


def test_a_reminder_after_the_due_time_is_refused(cast):
    with pytest.raises(Refusal) as refused:
        make_task(cast, remind_in=timedelta(hours=2))
    assert refused.value.code == "late_reminder"


def test_the_assignee_must_be_a_member(cast):
    with pytest.raises(Refusal) as refused:
        make_task(cast, assignee=cast.outsider)
    assert refused.value.code == "unknown_assignee"


def test_the_task_inbox_lists_my_open_tasks_and_marks_them_done_with_htmx(client, cast):
    task = make_task(cast, remind_in=None)
    login(client, cast.member)
    page = client.get(reverse("activities:tasks")).content.decode()
    assert "Send the quote to 山田様" in page
    response = client.post(
        reverse("activities:task_done", args=[task.pk]), {"done": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    with scope(workspace=cast.acme):
        assert Task.objects.get(pk=task.pk).status == "done"


def test_another_workspaces_task_is_not_found(client, cast):
    with scope(workspace=cast.globex):
        foreign = services.task_create(
            membership=cast.outsider_membership,
            data=services.TaskData(title="Foreign", due_at=timezone.now(), assignee=cast.outsider),
        )
    login(client, cast.owner)
    assert client.get(reverse("activities:task", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("activities:task_done", args=[foreign.pk])).status_code == 404


@pytest.mark.parametrize(
    ("language", "whose", "status"),
    [("ja", "誰のタスク：自分のタスク", "状態：未完了"), ("en", "Whose: Mine", "Status: Open")],
)
def test_the_filters_empty_choices_name_what_the_queue_shows(client, cast, language, whose, status):
    """Unfiltered, the task queue shows my open tasks: the empty choices of
    its "Whose" and "Status" filters say so; a record's "See all" shows
    everyone's tasks on it, and never says "Mine"."""
    from terabox_crm.web.tests.html import parse

    def empty_choices(url) -> dict[str, str]:
        html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content
        return {
            select.attrs["name"]: select.find("option").text().strip()
            for select in parse(html).find_all("select")
            if select.attrs.get("name") in ("scope", "status")
            and select.find("option").attrs.get("value") == ""
        }

    task = make_task(cast, remind_in=None)
    login(client, cast.member)
    assert empty_choices(reverse("activities:tasks")) == {"scope": whose, "status": status}
    on_record = empty_choices(f"{reverse('activities:tasks')}?contact={task.contact_id}")
    assert on_record.get("scope") != whose
