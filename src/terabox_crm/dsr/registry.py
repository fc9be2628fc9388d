"""What the domain apps tell the request engine (P9): who an address is, and
what is held on a person.

The engine never imports a domain app. Each app that holds personal data
registers, in its ``<app>/disclosure.py`` (imported for every installed app by
``DsrConfig.ready()``):

* a **subject finder** ``fn(workspace_id, email) -> list[subject_id]``: the
  people (contact ids) who have that normalised address in that workspace,
  found through a blind index, never a plaintext scan;
* **access-export collectors** ``fn(workspace_id, subject_ids) -> sections``:
  everything the app holds on those people, as ``Section`` objects whose rows
  are produced lazily, so an export streams instead of loading a table.

Labels are lazy translations: the export is written in the requester's
language (``translation.override``), so the same collector serves ja and en.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

SubjectFinder = Callable[[object, str], list]


@dataclass
class Section:
    """One table of an access export: ``columns`` are ``(key, label)``
    pairs, ``rows`` an iterable of dicts keyed by those keys."""

    key: str
    label: object
    columns: list[tuple[str, object]]
    rows: Iterable[dict] = field(default_factory=list)


Collector = Callable[[object, list], Iterable[Section]]

SubjectLabeller = Callable[[object, list], dict]

_finders: dict[str, SubjectFinder] = {}
_labellers: dict[str, SubjectLabeller] = {}
_collectors: dict[str, tuple[int, Collector]] = {}


def register_subject_finder(name: str, finder: SubjectFinder) -> None:
    if name in _finders:
        raise ValueError(f"subject finder {name!r} registered twice")
    _finders[name] = finder


def register_subject_labeller(name: str, labeller: SubjectLabeller) -> None:
    """``labeller(workspace_id, subject_ids) -> {subject_id: label}``: how the
    request screen names the people found (a contact's name)."""
    if name in _labellers:
        raise ValueError(f"subject labeller {name!r} registered twice")
    _labellers[name] = labeller


def subject_labels(workspace_id, subject_ids: list) -> dict[str, str]:
    labels: dict[str, str] = {}
    for labeller in _labellers.values():
        labels.update({str(k): str(v) for k, v in labeller(workspace_id, subject_ids).items()})
    return labels


def register_collector(name: str, collector: Collector, *, order: int = 100) -> None:
    """``order`` sorts the sections in the export (the person first)."""
    if name in _collectors:
        raise ValueError(f"access-export collector {name!r} registered twice")
    _collectors[name] = (order, collector)


def subject_finders() -> dict[str, SubjectFinder]:
    return dict(_finders)


def collectors() -> list[tuple[str, Collector]]:
    return [(name, fn) for name, (_o, fn) in sorted(_collectors.items(), key=lambda i: i[1][0])]


def find_subjects(workspace_id, email: str) -> list[str]:
    """Every subject id any finder knows for ``email`` in the workspace, sorted."""
    found: set[str] = set()
    for finder in _finders.values():
        found.update(str(subject_id) for subject_id in finder(workspace_id, email))
    return sorted(found)


def sections(workspace_id, subject_ids: list) -> Iterator[Section]:
    for _name, collector in collectors():
        yield from collector(workspace_id, subject_ids)


def _plain(value) -> object:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# Labels for fields whose model gives no translated verbose name (Django then
# makes "created at" from the name): the export is labelled in the
# requester's language (P9), every column.
COMMON_LABELS = {
    "created_at": pgettext_lazy("access export column", "Created"),
    "updated_at": pgettext_lazy("access export column", "Last updated"),
    "closed_at": pgettext_lazy("access export column", "Closed"),
    "completed_at": pgettext_lazy("access export column", "Completed"),
    "resolved_at": pgettext_lazy("access export column", "Resolved"),
    "stage": pgettext_lazy("access export column", "Stage"),
}


def column_label(model, name: str):
    """The translated label of ``model``'s field ``name``."""
    verbose = model._meta.get_field(name).verbose_name
    if isinstance(verbose, Promise):
        return verbose
    return COMMON_LABELS.get(name, verbose)


def records_section(key: str, label, queryset, fields: list[str], *, batch: int = 500) -> Section:
    """A section of one model's rows, columns labelled by the fields' verbose
    names (choices shown by their label). Relations to show must be in
    ``queryset``'s ``select_related``; rows are read ``batch`` at a time.
    Choice labels are translated once per section, not once per cell (in the
    language active when the rows are read: the requester's)."""
    model = queryset.model
    columns = [(name, column_label(model, name)) for name in fields]

    def rows():
        choices = {
            name: {value: str(text) for value, text in field.flatchoices}
            for name in fields
            if (field := model._meta.get_field(name)).choices
        }
        for obj in queryset.iterator(chunk_size=batch):
            row = {}
            for name in fields:
                value = getattr(obj, name)
                labels = choices.get(name)
                row[name] = labels.get(value, value) if labels is not None else _plain(value)
            yield row

    return Section(key=key, label=label, columns=columns, rows=rows())
