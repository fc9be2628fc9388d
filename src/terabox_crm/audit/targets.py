"""What an audit event is about, as people read it (S5; docs/ui.md).

An event stores its target as ``object_type`` (``contacts.contact``) and
``object_id`` (a UUID): exact evidence, but not something to show on a
Japanese screen. The apps that own the records register here how to name
them — a label for the kind (「連絡先」) and, for records with a page, a
resolver that names the records a member may read and links to them — so the
audit trail reads 「連絡先: 山田 花子」 with a link. The audit engine never
imports the apps: they register in ``AppConfig.ready()``.

A resolver gets the reading membership and the ids of one page of events
(one query per kind, never one per event) and returns, for the records the
member may read, ``{id: (name, url)}``. A record it does not return is shown
by its kind alone: deleted, erased, or one the reader may not see — the
trail does not say which, and shows no name a reader could not otherwise
read (S6). Kinds nobody registered fall back to the model's verbose name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.utils.text import capfirst
from django.utils.translation import gettext

Resolver = Callable[[object, list[str]], dict[str, tuple[str, str]]]


@dataclass(frozen=True)
class Kind:
    label: object  # a lazy translated string
    resolve: Resolver | None = None


@dataclass(frozen=True)
class Target:
    """One event's target for a reader: the kind, and the record's name and
    page when the reader may read it."""

    label: str
    name: str = ""
    url: str = ""


_kinds: dict[str, Kind] = {}


def register(object_type: str, *, label, resolve: Resolver | None = None) -> None:
    _kinds[object_type] = Kind(label=label, resolve=resolve)


def registered() -> dict[str, Kind]:
    return dict(_kinds)


def kind_label(object_type: str) -> str:
    """「連絡先」 for ``contacts.contact``; the model's verbose name otherwise."""
    kind = _kinds.get(object_type)
    if kind is not None:
        return str(kind.label)
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    # str() renders a lazy name in the active language; gettext() translates
    # names their app left as plain strings (privacy/labels.py).
    return capfirst(gettext(str(model._meta.verbose_name)))


def describe(membership, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Target]:
    """``{(object_type, object_id): Target}`` for the events of one page."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for object_type, object_id in pairs:
        if object_type:
            wanted[object_type].add(object_id)
    described = {}
    for object_type, ids in wanted.items():
        label = kind_label(object_type)
        kind = _kinds.get(object_type)
        found = {}
        if kind is not None and kind.resolve is not None and membership is not None:
            found = kind.resolve(membership, sorted(ids))
        for object_id in ids:
            name, url = found.get(object_id, ("", ""))
            described[(object_type, object_id)] = Target(label=label, name=name, url=url)
    return described
