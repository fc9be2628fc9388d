"""Turning a stored policy version into a page (P1, P10, P11, S10).

A version's body is Markdown with placeholders on lines of their own, filled
in when the page is rendered so they can never drift from the product:

* ``{{ data_inventory }}`` — the personal data the product stores, generated
  from the data inventory (P1: ``terabox_crm.inventory``);
* ``{{ contact }}`` — the operator's privacy contact block (P11);
* ``{{ subprocessors }}`` — the sub-processor register (S10).

The Markdown is a small, safe subset (headings, numbered and bulleted lists,
paragraphs, ``**bold**``, ``<https://…>`` links): every character of the
text is HTML-escaped first, so neither the operator's text nor a setting can
put markup on a public page. The diff between two versions is escaped the
same way (the template autoescapes every line).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.apps import apps
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext, override, pgettext

from terabox_crm import inventory
from terabox_crm.policies import config

PLACEHOLDER = re.compile(r"^\{\{\s*(data_inventory|contact|subprocessors)\s*\}\}$")
HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
ORDERED = re.compile(r"^\d+\.\s+(.*)$")
BULLET = re.compile(r"^[-*]\s+(.*)$")
STRONG = re.compile(r"\*\*(.+?)\*\*")
AUTOLINK = re.compile(r"&lt;(https://|mailto:)([^\s&]+)&gt;")


# --- Placeholders ---------------------------------------------------------------------


def _label(name) -> str:
    return capfirst(gettext(str(name)))


def data_inventory_markdown() -> str:
    """§1 of the privacy policy: one line per category of personal data, the
    records and fields that hold it, and what it is used for (P1)."""
    by_category: dict[str, list[str]] = {}
    purposes: dict[str, list[str]] = {}
    for item in inventory.personal_fields():
        model = apps.get_model(item.model)
        field = model._meta.get_field(item.field)
        label = f"{_label(model._meta.verbose_name)}: {_label(field.verbose_name)}"
        labels = by_category.setdefault(item.category, [])
        if label not in labels:
            labels.append(label)
        seen = purposes.setdefault(item.category, [])
        for purpose in item.purposes:
            if purpose not in seen:
                seen.append(purpose)
    lines = []
    for category in inventory.Category:
        if category.value not in by_category:
            continue
        separator = pgettext("list separator", ", ")
        purpose_labels = separator.join(str(inventory.Purpose(p).label) for p in purposes[category])
        fields = separator.join(by_category[category.value])
        lines.append(
            f"- **{category.label}**: "
            + gettext("%(fields)s (used for: %(purposes)s)")
            % {"fields": fields, "purposes": purpose_labels}
        )
    return "\n".join(lines)


def contact_markdown(language: str) -> str:
    block = config.contact(language)
    rows = [
        (gettext("Organisation"), block.organisation),
        (gettext("Desk"), block.desk),
        (gettext("Address"), block.address),
        (gettext("Email"), f"<mailto:{block.email}>" if block.email else ""),
        (gettext("Phone"), block.phone),
        (gettext("Hours"), block.hours),
    ]
    return "\n".join(f"- {label}: {value}" for label, value in rows if value)


def subprocessors_markdown(language: str) -> str:
    entries = config.subprocessors(language)
    heading = gettext("Sub-processors (third-party services that handle data for this service)")
    if not entries:
        return f"{heading}:\n\n- " + gettext(
            "None: this installation sends personal data to no third-party service."
        )
    lines = []
    for entry in entries:
        parts = [f"**{entry.name}**"]
        if entry.service:
            parts.append(entry.service)
        if entry.location:
            parts.append(entry.location)
        if entry.url:
            parts.append(f"<{entry.url}>")
        lines.append("- " + " — ".join(parts))
    return f"{heading}:\n\n" + "\n".join(lines)


def fill(body: str, language: str) -> str:
    """``body`` with its placeholders replaced, in ``language``."""
    with override(language):
        out = []
        for line in body.splitlines():
            match = PLACEHOLDER.match(line.strip())
            if not match:
                out.append(line)
            elif match.group(1) == "data_inventory":
                out.append(data_inventory_markdown())
            elif match.group(1) == "contact":
                out.append(contact_markdown(language))
            else:
                out.append(subprocessors_markdown(language))
        return "\n".join(out)


# --- Markdown -------------------------------------------------------------------------


def _inline(text: str) -> str:
    html = escape(text)
    html = STRONG.sub(r"<strong>\1</strong>", html)
    # A link shows its address; an email address without its "mailto:".
    return AUTOLINK.sub(
        lambda m: f'<a href="{m[1]}{m[2]}">{m[2] if m[1] == "mailto:" else m[1] + m[2]}</a>', html
    )


def to_html(markdown: str) -> SafeString:
    """The safe Markdown subset as HTML (see the module docstring)."""
    out: list[str] = []
    paragraph: list[str] = []
    open_list = ""

    def close_paragraph():
        if paragraph:
            out.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()

    def close_list():
        nonlocal open_list
        if open_list:
            out.append(f"</{open_list}>")
            open_list = ""

    for raw in markdown.splitlines():
        line = raw.strip()
        if not line:
            close_paragraph()
            close_list()
            continue
        heading = HEADING.match(line)
        item = ORDERED.match(line) or BULLET.match(line)
        if heading:
            close_paragraph()
            close_list()
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif item:
            close_paragraph()
            kind = "ol" if ORDERED.match(line) else "ul"
            if open_list != kind:
                close_list()
                out.append(f"<{kind}>")
                open_list = kind
            out.append(f"<li>{_inline(item.group(1))}</li>")
        else:
            close_list()
            paragraph.append(line)
    close_paragraph()
    close_list()
    return mark_safe("\n".join(out))  # noqa: S308  # nosec B308 B703  # every text went through escape()


def body(version, language: str) -> str:
    return version.body_en if language == "en" else version.body_ja


def summary(version, language: str) -> str:
    return (version.summary_en if language == "en" else version.summary_ja) or ""


def render(version, language: str) -> SafeString:
    return to_html(fill(body(version, language), language))


# --- Diff -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    op: str  # "same", "added", "removed", "gap"
    text: str


def diff(old: str, new: str, *, context: int = 2) -> list[DiffLine]:
    """The lines that changed between two texts, with ``context`` lines
    around each change; a "gap" line stands for the unchanged lines left out.
    Plain strings: the template escapes them."""
    lines = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("gap", ""))
        elif line.startswith("+"):
            lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("removed", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return lines
