"""Task reminders (email and in-app) naming a contact ask the purpose gate (P3)."""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services
from terabox_crm.core.selectors import membership_in
from terabox_crm.notifications.models import Notification
from terabox_crm.privacy.tests.support import privacy_officer
from terabox_crm.testing.purpose_gate import assert_channel_gated


def test_reminders_about_restricted_contacts_are_not_sent(cast):
    member = membership_in(cast.acme, cast.member)
    # A restricted contact's timeline is read-only but for privacy officers
    # (P7): the task is made by one, so the reminder's own gate is what is tested.
    officer = privacy_officer(cast.acme, email="tasks-officer@acme.example")
    tasks = {}

    def act(contact):
        now = timezone.now()
        with scope(workspace=cast.acme):
            tasks[contact.pk] = services.task_create(
                membership=officer,
                data=services.TaskData(
                    title="Call back",
                    due_at=now + timedelta(hours=1),
                    remind_at=now - timedelta(minutes=1),
                    assignee=cast.member,
                    links=services.Links(contact=contact.pk),
                ),
            )
        services.task_reminders_send()

    def reached(contact) -> bool:
        with scopes_disabled():
            return Notification.objects.filter(
                kind="activities.task_reminder", params__task_id=str(tasks[contact.pk].pk)
            ).exists()

    assert_channel_gated(
        workspace=cast.acme,
        membership=member,
        purpose=services.REMINDER_PURPOSE,
        channel=services.REMINDER_CHANNEL,
        act=act,
        reached=reached,
    )
