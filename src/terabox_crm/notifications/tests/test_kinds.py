"""Kinds render in the reader's language, with names looked up at read time."""

from __future__ import annotations

import pytest
from django.utils import translation

from terabox_crm.notifications import kinds, services

pytestmark = pytest.mark.django_db


def test_kind_names_are_unique():
    with pytest.raises(ValueError, match="registered twice"):
        kinds.register("account.password_changed", message="x")


def test_kind_names_are_dotted():
    with pytest.raises(ValueError, match="dotted"):
        kinds.register("plain", message="x")


def test_text_follows_the_readers_language(cast):
    n = services.notification_send(
        user=cast.member,
        kind="workspace.role_changed",
        workspace=cast.acme,
        params={"role": "admin"},
    )
    with translation.override("en"):
        assert kinds.render(n) == "Your role in Acme is now Admin."
    with translation.override("ja"):
        text = kinds.render(n)
    assert "Acme" in text
    assert "ロール" in text


def test_names_are_looked_up_when_read(cast):
    n = services.notification_send(
        user=cast.owner,
        kind="workspace.member_joined",
        workspace=cast.acme,
        params={"user_id": cast.member.pk},
    )
    cast.member.display_name = "Hanako Yamada"
    cast.member.save(update_fields=["display_name"])
    with translation.override("en"):
        assert kinds.render(n) == "Hanako Yamada joined Acme."
    cast.member.delete()
    n.refresh_from_db()
    with translation.override("en"):
        assert kinds.render(n) == "A former member joined Acme."


def test_a_row_of_a_removed_kind_still_renders(cast):
    n = services.notification_send(user=cast.member, kind="account.password_changed")
    n.kind = "removed.app_event"
    with translation.override("en"):
        assert kinds.render(n) == "You have a notification."
    assert kinds.link(n) is None


def test_a_template_that_lost_its_param_still_renders(cast):
    kinds.register("tests.broken", message="%(missing)s happened")
    try:
        n = services.notification_send(user=cast.member, kind="tests.broken")
        with translation.override("en"):
            assert kinds.render(n) == "You have a notification."
    finally:
        kinds.unregister("tests.broken")
