"""Fixtures of the accounts tests: enrolled users, a real SMTP server, the
sign-in forms driven like a browser would."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.accounts import mfa
from terabox_crm.accounts.models import TOTPDevice
from terabox_crm.audit.models import AuditEvent


def enrol(user) -> TOTPDevice:
    """Give ``user`` a confirmed TOTP device (and recovery codes on ``device.codes``)."""
    device = TOTPDevice.objects.create(
        user=user, secret=mfa.new_secret(), confirmed=True, confirmed_at=timezone.now()
    )
    device.codes = mfa.replace_recovery_codes(user)
    return device


def sign_in(client, email, password, **extra):
    return client.post(reverse("accounts:login"), {"email": email, "password": password}, **extra)


def events(action, **filters):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


@pytest.fixture
def relaxed(cast):
    """Acme with two-factor relaxed: members and viewers may sign in with a password alone."""
    cast.acme.mfa_required_for_all = False
    cast.acme.save(update_fields=["mfa_required_for_all"])
    return cast
