"""Notification kinds of the foundation (accounts, workspaces).

``core`` and ``accounts`` are older than this app and know nothing of it, so
their kinds are declared here; domain apps built later register their own in
their ``AppConfig.ready()``. Each kind's params hold ids and non-personal
values only; a person's name is looked up when the notification is read.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terabox_crm.notifications import kinds


def _account_security(notification) -> str:
    return reverse("accounts:security")


def _home(notification) -> str:
    return reverse("web:home")


def _members(notification) -> str:
    return reverse("core:members")


def _role_label(notification) -> dict:
    from terabox_crm.core.roles import Role

    role = notification.params.get("role", "")
    try:
        return {"role": str(Role(role).label)}
    except ValueError:
        return {"role": role}


def _member_label(notification) -> dict:
    from terabox_crm.accounts.models import User

    member = User.objects.filter(pk=notification.params.get("user_id")).first()
    return {"member": member.label if member is not None else _("A former member")}


def register_all() -> None:
    kinds.register(
        "account.new_device_sign_in",
        message=gettext_lazy(
            "Your account was signed in from a new device. If this was not you, end that session and change your password."
        ),
        link=_account_security,
    )
    kinds.register(
        "account.password_changed",
        message=gettext_lazy("Your password was changed and your other sessions were signed out."),
        link=_account_security,
    )
    kinds.register(
        "account.two_factor_enabled",
        message=gettext_lazy("Two-factor authentication is now on for your account."),
        link=_account_security,
    )
    kinds.register(
        "workspace.role_changed",
        message=gettext_lazy("Your role in %(workspace)s is now %(role)s."),
        params=["role"],
        context=_role_label,
        link=_home,
        about_workspace=True,
    )
    kinds.register(
        "workspace.member_joined",
        message=gettext_lazy("%(member)s joined %(workspace)s."),
        params=["user_id"],
        context=_member_label,
        link=_members,
        about_workspace=True,
    )
