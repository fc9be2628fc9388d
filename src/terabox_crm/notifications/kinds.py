"""The vocabulary of notification kinds: one dotted name each, with its ja/en
message template, the parameters it accepts, and where it links to.

A message is a lazy translation with ``%(name)s`` placeholders, formatted when
the notification is *read* so that it appears in the reader's language.
Values come from three places, in this order:

- ``workspace``: the name of the notification's workspace, if it has one;
- the stored ``params`` (ids and non-personal values only — ``notification_send`` refuses
  any key the kind did not declare);
- ``context(notification)``: values looked up at read time, which is how a
  message names a person without a name ever being stored in the row.

``notification_send`` refuses unknown kinds, so a typo fails in tests. A row whose kind is
no longer registered (an app was removed) still renders, with a generic text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from terabox_crm.notifications.models import Notification

log = logging.getLogger(__name__)

Resolver = Callable[["Notification"], dict]
Linker = Callable[["Notification"], "str | None"]


@dataclass(frozen=True)
class Kind:
    name: str
    message: object  # a lazy translation with %(placeholders)s
    params: frozenset[str]
    link: Linker | None = None
    context: Resolver | None = None
    about_workspace: bool = False  # notification_send() then requires a workspace


_kinds: dict[str, Kind] = {}


def register(
    name: str,
    *,
    message,
    params: Iterable[str] = (),
    link: Linker | None = None,
    context: Resolver | None = None,
    about_workspace: bool = False,
) -> Kind:
    """Declare a kind; apps call this from ``AppConfig.ready()``.

    ``about_workspace`` kinds must be sent with a workspace (their message may
    use ``%(workspace)s``) and disappear from the inbox if the reader leaves it.
    """
    if name in _kinds:
        raise ValueError(f"notification kind {name!r} registered twice")
    if "." not in name:
        raise ValueError(f"notification kind {name!r} must be a dotted name (app.event)")
    kind = Kind(name, message, frozenset(params), link, context, about_workspace)
    _kinds[name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (tests register throwaway kinds and clean up after)."""
    _kinds.pop(name, None)


def get(name: str) -> Kind:
    try:
        return _kinds[name]
    except KeyError:
        raise ValueError(f"unknown notification kind {name!r}") from None


def render(notification: Notification) -> str:
    """The message in the active language; never raises for a bad row."""
    kind = _kinds.get(notification.kind)
    if kind is None:
        return _("You have a notification.")
    values: dict[str, object] = {}
    if notification.workspace_id is not None:
        values["workspace"] = notification.workspace.name
    values.update(notification.params or {})
    try:
        if kind.context is not None:
            values.update(kind.context(notification))
        return str(kind.message) % values
    except (KeyError, TypeError, ValueError, LookupError):
        # A template and its params drifted apart (an upgrade renamed a
        # placeholder): show something sensible and leave a trace for us.
        log.warning("notification %s of kind %s could not be rendered", notification.pk, kind.name)
        return _("You have a notification.")


def link(notification: Notification) -> str | None:
    kind = _kinds.get(notification.kind)
    if kind is None or kind.link is None:
        return None
    try:
        return kind.link(notification)
    except Exception:  # a broken link must not break the inbox
        log.warning("notification %s of kind %s has no usable link", notification.pk, kind.name)
        return None
