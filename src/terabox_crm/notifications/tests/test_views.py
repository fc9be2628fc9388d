"""The notifications page, the bell, and marking read: own inbox only."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.core.models import Membership
from terabox_crm.core.roles import Role
from terabox_crm.notifications import services
from terabox_crm.notifications.models import Notification
from terabox_crm.testing import factories
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")
UNREAD = reverse("notifications:unread")
READ_ALL = reverse("notifications:read_all")


def _role_changed(user, workspace, role="member") -> Notification:
    return services.notification_send(
        user=user, kind="workspace.role_changed", workspace=workspace, params={"role": role}
    )


def test_list_shows_only_the_readers_notifications(client, cast):
    mine = services.notification_send(user=cast.member, kind="account.password_changed")
    services.notification_send(user=cast.viewer, kind="account.two_factor_enabled")
    login(client, cast.member)
    content = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"notification-{mine.pk}" in content
    assert "Your password was changed" in content
    assert "Two-factor authentication is now on" not in content


@pytest.mark.parametrize("name", ["notifications:read", "notifications:open"])
def test_another_users_notification_is_not_found(client, cast, name):
    theirs = services.notification_send(user=cast.outsider, kind="account.password_changed")
    login(client, cast.member)
    url = reverse(name, args=[theirs.pk])
    response = client.post(url) if name.endswith("read") else client.get(url)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_notifications_of_every_workspace_of_the_reader_are_shown(client, cast):
    factories.add_member(cast.globex, cast.member, Role.VIEWER)
    acme = _role_changed(cast.member, cast.acme)
    globex = _role_changed(cast.member, cast.globex, "viewer")
    login(client, cast.member)
    content = client.get(LIST).content.decode()
    assert f"notification-{acme.pk}" in content
    assert f"notification-{globex.pk}" in content


def test_notifications_of_a_workspace_left_disappear(client, cast):
    n = _role_changed(cast.member, cast.acme)
    personal = services.notification_send(user=cast.member, kind="account.password_changed")
    with scopes_disabled():
        Membership.objects.filter(pk=cast.member_membership.pk).delete()
    login(client, cast.member)
    content = client.get(LIST).content.decode()
    assert f"notification-{n.pk}" not in content
    assert f"notification-{personal.pk}" in content
    assert client.post(reverse("notifications:read", args=[n.pk])).status_code == 404
    bell = client.get(UNREAD, HTTP_HX_REQUEST="true").content.decode()
    assert 'class="bell-count" aria-hidden="true">1<' in bell


def test_unread_count_partial(client, cast):
    for _ in range(3):
        services.notification_send(user=cast.member, kind="account.password_changed")
    services.notification_send(user=cast.viewer, kind="account.password_changed")
    login(client, cast.member)
    response = client.get(UNREAD, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    assert response.status_code == 200
    assert ">3<" in content
    assert "Notifications (3 unread)" in content
    assert 'hx-trigger="every 60s, notifications-changed from:body"' in content
    assert "<html" not in content


def test_unread_count_caps_at_99(client, cast):
    Notification.objects.bulk_create(
        [Notification(user=cast.member, kind="account.password_changed") for _ in range(120)]
    )
    login(client, cast.member)
    assert ">99+<" in client.get(UNREAD, HTTP_HX_REQUEST="true").content.decode()


def test_bell_in_the_top_bar_shows_the_count(client, cast):
    services.notification_send(user=cast.member, kind="account.password_changed")
    login(client, cast.member)
    content = client.get("/").content.decode()
    assert 'id="notification-bell"' in content
    assert 'class="bell-count" aria-hidden="true">1<' in content


def test_polling_after_sign_out_stops_without_swapping(client):
    response = client.get(UNREAD, HTTP_HX_REQUEST="true")
    assert response.status_code == 286
    assert response["HX-Reswap"] == "none"


def test_mark_read_with_htmx_returns_the_item_and_updates_the_bell(client, cast):
    n = services.notification_send(user=cast.member, kind="account.password_changed")
    login(client, cast.member)
    response = client.post(reverse("notifications:read", args=[n.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert f'id="notification-{n.pk}"' in content
    assert "is-unread" not in content
    assert "notifications-changed" in json.loads(response["HX-Trigger"])
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_read_without_javascript_redirects_back(client, cast):
    n = services.notification_send(user=cast.member, kind="account.password_changed")
    login(client, cast.member)
    response = client.post(reverse("notifications:read", args=[n.pk]))
    assert response.status_code == 302
    assert response["Location"] == LIST


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "2 notifications marked as read."), ("ja", "2件の通知を既読にしました。")],
)
def test_mark_all_read_with_htmx_toasts_in_the_readers_language(client, cast, language, text):
    services.notification_send(user=cast.member, kind="account.password_changed")
    services.notification_send(user=cast.member, kind="account.two_factor_enabled")
    login(client, cast.member)
    response = client.post(READ_ALL, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE=language)
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["toast"] == {"level": "success", "message": text}
    assert "notifications-changed" in trigger
    assert 'id="notification-list"' in response.content.decode()
    assert not Notification.objects.filter(user=cast.member, read_at__isnull=True).exists()


def test_open_marks_read_and_follows_the_link(client, cast):
    n = services.notification_send(user=cast.member, kind="account.password_changed")
    login(client, cast.member)
    response = client.get(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:security")
    n.refresh_from_db()
    assert n.read_at is not None


def test_unread_filter(client, cast):
    read = services.notification_send(user=cast.member, kind="account.password_changed")
    services.notification_mark_read(user=cast.member, notification=read)
    unread = services.notification_send(user=cast.member, kind="account.two_factor_enabled")
    login(client, cast.member)
    content = client.get(LIST + "?show=unread").content.decode()
    assert f"notification-{unread.pk}" in content
    assert f"notification-{read.pk}" not in content


def test_empty_inbox_says_so(client, cast):
    login(client, cast.member)
    content = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No notifications yet" in content


def test_list_query_count_does_not_grow_with_notifications(
    client, cast, django_assert_max_num_queries
):
    for _ in range(15):
        _role_changed(cast.member, cast.acme)
    login(client, cast.member)
    with django_assert_max_num_queries(25):
        assert client.get(LIST).status_code == 200


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
