"""Queue and deliver emails through the outbox.

``queue_email`` renders the email now, in the recipient's language, from
``<kind>_subject.txt``, ``<kind>.txt`` and (optionally) ``<kind>.html``
templates, and stores it encrypted; delivery happens after commit through the
job queue, with exponential backoff (1, 2, 4 … 60 minutes, 8 attempts). Job
payloads carry only the outbox id.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from terabox_crm.communications import tasks
from terabox_crm.communications.models import OutboxEmail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def queue_email(
    *,
    kind: str,
    to: str,
    context: dict,
    language: str = "",
    subject_id=None,
    workspace_id=None,
) -> OutboxEmail:
    """Render ``kind`` for ``to`` and queue it; sent after the transaction commits."""
    language = language or settings.LANGUAGE_CODE
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{kind}_subject.txt", context).split())
        body_text = render_to_string(f"{kind}.txt", context)
        try:
            body_html = render_to_string(f"{kind}.html", context)
        except TemplateDoesNotExist:
            body_html = ""
    email = OutboxEmail.objects.create(
        kind=kind,
        subject_id=subject_id,
        workspace_id=workspace_id,
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: _enqueue(email.pk))
    return email


def _enqueue(email_id) -> None:
    tasks.deliver_email(str(email_id))


def deliver(email_id) -> bool:
    """Send one queued email; True when sent. Safe to call twice."""
    with transaction.atomic():
        email = (
            OutboxEmail.objects.select_for_update()
            .filter(pk=email_id, status=OutboxEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return False
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        email.attempts += 1
        try:
            message.send()
        except Exception as exc:  # any transport failure is retried later
            log.warning(
                "outbox %s attempt %s failed: %s", email.pk, email.attempts, type(exc).__name__
            )
            email.last_error = type(exc).__name__
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboxEmail.Status.FAILED
                email.to = email.subject = email.body_text = email.body_html = ""
            else:
                delay = min(60, 2 ** (email.attempts - 1))
                email.next_attempt_at = timezone.now() + timedelta(minutes=delay)
            email.save()
            return False
        email.status = OutboxEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        # Delivered: keep the fact, not the content.
        email.to = email.subject = email.body_text = email.body_html = ""
        email.save()
        return True


def deliver_due(limit: int = 100) -> int:
    """Retry pending emails whose time has come (periodic job)."""
    due = OutboxEmail.objects.filter(
        status=OutboxEmail.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:limit]
    return sum(1 for email_id in list(due) if deliver(email_id))
