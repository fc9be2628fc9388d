"""htmx helpers: partial or page in one place, toasts, passive polling."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from terabox_crm.core import htmx
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def _expiry():
    return Session.objects.get().expire_date


def test_polling_the_bell_does_not_extend_the_session(client, cast):
    login(client, cast.member)
    client.get("/")
    before = _expiry()
    later = timezone.now() + timedelta(minutes=2)  # a visit now would move the deadline
    with mock.patch("django.utils.timezone.now", return_value=later):
        poll = client.get(reverse("notifications:unread"), HTTP_HX_REQUEST="true")
        assert poll.status_code == 200
        assert _expiry() == before
        client.get("/")  # a real visit does extend it
    assert _expiry() > before


def test_toast_header_is_json_with_escaped_japanese():
    response = htmx.toast(HttpResponse(), "保存しました", level="success")
    header = response["HX-Trigger"]
    assert header.isascii()
    assert json.loads(header) == {"toast": {"level": "success", "message": "保存しました"}}


def test_toast_refuses_unknown_levels():
    with pytest.raises(ValueError):
        htmx.toast(HttpResponse(), "x", level="loud")


def test_partial_only_for_non_boosted_htmx(rf):
    from django_htmx.middleware import HtmxDetails

    plain = rf.get("/")
    plain.htmx = HtmxDetails(plain)
    assert not htmx.is_partial(plain)
    fragment = rf.get("/", HTTP_HX_REQUEST="true")
    fragment.htmx = HtmxDetails(fragment)
    assert htmx.is_partial(fragment)
    boosted = rf.get("/", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")
    boosted.htmx = HtmxDetails(boosted)
    assert not htmx.is_partial(boosted)
