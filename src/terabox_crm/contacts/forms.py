"""Forms of the contact and company screens.

Forms collect and shape input only; the services validate meaning (foreign
ids, email and phone formats, sizes) and their errors are mapped back onto
the form fields by ``apply_errors``. Choice lists (owners, teams, tags) hold
only the current workspace's rows the user may see.

A contact's company is picked by name, not from a list (a workspace may have
100,000 companies): the page's script asks ``companies:picker`` for matches
as one types and puts the chosen company's id into a hidden field; without
the script the typed name is resolved here, exactly, or the form shows the
matches to pick from. Either way the id is checked by the service like any
other input: a company of this workspace that the user can read.

Emails and phones are formsets of rows with one primary row (a radio button
per row, named ``<prefix>-primary``). Rows are added and removed in place by
the page's script, or without it by the "Add"/"Remove" submit buttons, which
re-render the form with what was typed (``ChannelFormSet.edited``).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm import inventory
from terabox_crm.contacts import selectors, services
from terabox_crm.contacts.models import NOTES_MAX_LENGTH, Company, Source, Stage, Tag
from terabox_crm.contacts.services import (
    CHANNELS_MAX,
    CompanyData,
    ContactData,
    EmailIn,
    PhoneIn,
)
from terabox_crm.core import members, records
from terabox_crm.core.dates import DateField
from terabox_crm.core.forms import NO_TEAM, SELECT
from terabox_crm.core.models import Membership, Team
from terabox_crm.crypto import normalise

# How many matches the picker shows, and how many are compared when a typed
# name is resolved without the script.
PICKER_LIMIT = 20
RESOLVE_LIMIT = 100


def _owner_choices(membership):
    members = Membership.objects.filter(workspace_id=membership.workspace_id).select_related("user")
    return [("", SELECT)] + [(str(m.user_id), m.user.label) for m in members]


def _team_choices(membership):
    teams = Team.objects.filter(workspace_id=membership.workspace_id)
    return [("", NO_TEAM)] + [(str(t.pk), t.name) for t in teams]


class TagChipFields(forms.Form):
    """The tag chip input for other records' forms (deals, tickets): the
    same fields, widget and "New tags" as the contact and company forms
    (docs/ui.md "Tags are chips"). Call ``set_tag_choices`` in ``__init__``."""

    tags = forms.MultipleChoiceField(
        label=_("Tags"),
        required=False,
        widget=forms.SelectMultiple(attrs={"data-chips-for": "id_new_tags", "size": 5}),
    )
    new_tags = forms.CharField(
        label=_("New tags"),
        required=False,
        max_length=300,
        help_text=_("Separate several tags with commas."),
        widget=forms.TextInput(
            attrs={
                "data-chips-new": "",
                "data-chips-remove": _("Remove"),
                "data-chips-new-word": pgettext_lazy("a tag made on save", "new"),
                "data-chips-placeholder": _("Add a tag…"),
            }
        ),
    )

    def set_tag_choices(self, workspace_id) -> None:
        self.fields["tags"].choices = [
            (str(tag.pk), tag.name) for tag in Tag.objects.filter(workspace_id=workspace_id)
        ]
        if not self.fields["tags"].choices:
            # No tags yet: no empty list, only "New tags".
            self.fields["tags"].widget = forms.MultipleHiddenInput()

    def new_tag_names(self) -> list[str]:
        names = self.cleaned_data.get("new_tags", "").split(",")
        return [name.strip() for name in names if name.strip()]

    def tag_ids(self, membership) -> list[str]:
        """The chosen tags plus the new ones typed in, made in the workspace
        first (as the contact and company forms do)."""
        ids = list(self.cleaned_data.get("tags") or [])
        for name in self.new_tag_names():
            ids.append(str(services.tag_get_or_create(membership=membership, name=name).pk))
        return ids


class _RecordForm(forms.Form):
    owner = forms.ChoiceField(
        label=pgettext_lazy("record owner", "Owner"),
        required=False,
        error_messages={"invalid_choice": members.NOT_A_MEMBER},
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    # The tag chip input (web/static/web/chips.js, docs/ui.md): without
    # script a plain multi-select and a "New tags" field; with it one box of
    # chips that offers the workspace's tags and makes new ones.
    tags = TagChipFields.base_fields["tags"]
    new_tags = TagChipFields.base_fields["new_tags"]
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        strip=False,
        help_text=_("At most 20,000 characters."),
    )

    # service field → form field
    FIELD_MAP = {"owner_id": "owner", "team_id": "team", "tag_ids": "tags"}

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["owner"].choices = _owner_choices(membership)
        self.fields["team"].choices = _team_choices(membership)
        TagChipFields.set_tag_choices(self, membership.workspace_id)

    def clean_notes(self):
        notes = self.cleaned_data["notes"]
        if len(notes) > NOTES_MAX_LENGTH:
            raise ValidationError(
                _("This text is too long: at most %(limit)s characters (it has %(length)s)."),
                params={"limit": f"{NOTES_MAX_LENGTH:,}", "length": f"{len(notes):,}"},
            )
        return notes

    new_tag_names = TagChipFields.new_tag_names

    def apply_errors(self, exc: ValidationError) -> list[str]:
        """Put a service's errors on their fields; return those with no field."""
        loose = []
        for name, messages in exc.message_dict.items():
            target = self.FIELD_MAP.get(name, name)
            if target in self.fields:
                for message in messages:
                    self.add_error(target, message)
            else:
                loose.extend(messages)
        return loose


class ContactForm(_RecordForm):
    family_name = forms.CharField(label=_("Family name"), required=False, max_length=200)
    given_name = forms.CharField(label=_("Given name"), required=False, max_length=200)
    family_name_kana = forms.CharField(
        label=_("Family name reading (kana)"), required=False, max_length=200
    )
    given_name_kana = forms.CharField(
        label=_("Given name reading (kana)"), required=False, max_length=200
    )
    company_name = forms.CharField(
        label=_("Company"),
        required=False,
        max_length=200,
        help_text=_("Type a word of the company's name, then choose the company."),
    )
    company = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    job_title = forms.CharField(label=_("Job title"), required=False, max_length=200)
    stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=Stage.choices)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    source_detail = forms.CharField(label=_("Source detail"), required=False, max_length=200)
    # From a third party (P4): the consent reference and the receipt record.
    receipt_provider = forms.CharField(
        label=_("Third party that provided the data"),
        required=False,
        max_length=200,
        help_text=_("Needed, with the four fields below, when the source is a third party."),
    )
    receipt_obtained_how = forms.CharField(
        label=_("How the third party obtained it"), required=False, max_length=2000
    )
    receipt_consent_by = forms.CharField(
        label=_("Who consented to the sharing"), required=False, max_length=200
    )
    receipt_consent_at = DateField(label=_("Date of that consent"), required=False)
    receipt_consent_evidence = forms.CharField(
        label=_("Evidence of that consent"),
        required=False,
        max_length=2000,
        help_text=_("A document number, where the signed form is kept, …"),
    )
    receipt_categories = forms.MultipleChoiceField(
        label=_("Categories of data received"),
        required=False,
        choices=inventory.Category.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[inventory.Category.IDENTITY, inventory.Category.CONTACT],
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Create anyway: this is not one of the contacts above"), required=False
    )

    # The form grid (docs/ui.md): pairs side by side, 姓 | 名 and セイ | メイ.
    half_fields = frozenset(
        {
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "stage",
            "source",
            "owner",
            "team",
            "receipt_consent_by",
            "receipt_consent_at",
        }
    )
    fit_fields = frozenset({"receipt_consent_at"})

    field_order = [
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "company_name",
        "company",
        "job_title",
        "stage",
        "source",
        "source_detail",
        "owner",
        "team",
        "tags",
        "new_tags",
        "receipt_provider",
        "receipt_obtained_how",
        "receipt_consent_by",
        "receipt_consent_at",
        "receipt_consent_evidence",
        "receipt_categories",
        "notes",
    ]
    FIELD_MAP = {
        **_RecordForm.FIELD_MAP,
        "company_id": "company_name",
        "receipt_categories": "receipt_categories",
    }

    def __init__(self, *args, membership, kept_company=None, **kwargs):
        super().__init__(*args, membership=membership, **kwargs)
        # Companies to pick from when a typed name did not resolve (no script),
        # and the company the posted values resolved to (shown if the form
        # comes back with other errors, so a pick is not lost).
        self.company_matches: list[Company] = []
        self.resolved_company: Company | None = None
        # The edited contact's company (its id): kept, unnamed, when the user
        # may not read it (a colleague linked it), so an edit does not drop it.
        self.kept_company = str(kept_company or "")
        self.company_unseen = False
        if not self.is_bound and self.initial.get("company"):
            # Show the name of the given company, unless it is not one the user
            # may read (``?company=`` is typed into the address bar too).
            company = records.find_readable(membership, Company, self.initial["company"])
            if company is None and str(self.initial["company"]) == self.kept_company:
                self.company_unseen = True
            elif company is None:
                self.initial["company"] = ""
            elif not self.initial.get("company_name"):
                self.initial["company_name"] = company.name

    @property
    def company_shown(self) -> tuple[str, str]:
        """The hidden id and the name the picker shows."""
        if self.resolved_company is not None:
            return str(self.resolved_company.pk), self.resolved_company.name
        return (self["company"].value() or ""), (self["company_name"].value() or "")

    @classmethod
    def initial_from_post(cls, data) -> dict:
        """What was posted, as initial values: the form shown again after a row
        was added or removed keeps what was typed, without reporting errors."""
        initial = {}
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.MultipleChoiceField):
                initial[name] = data.getlist(name)
            elif name in data:
                initial[name] = data.get(name)
        if data.get("company_pick"):
            initial.update(company=data["company_pick"], company_name="")
        return initial

    def clean(self):
        cleaned = super().clean()
        cleaned["company"] = self._company_id(cleaned)
        return cleaned

    def _company_id(self, cleaned) -> str:
        """The chosen company's id ("" for none) from the hidden id, a match
        picked after an unresolved name, or the typed name."""
        picked = (self.data.get("company_pick") or "").strip()
        chosen = picked or (cleaned.get("company") or "").strip()
        typed = (cleaned.get("company_name") or "").strip()
        # A form posted by a program may send only the id; a person's form
        # always sends the name field, and emptying it removes the company.
        name_sent = "company_name" in self.data
        company = None
        if chosen:
            company = records.find_readable(self.membership, Company, chosen)
            if company is None and chosen != self.kept_company:
                # Not one to show or to compare names with: the service refuses
                # it (even when the name was emptied) and records the attempt.
                return chosen
            if company is None and not typed and not picked:
                # The edited contact's company, which the user may not read:
                # kept as it was (the service does not check it again).
                self.company_unseen = True
                return chosen
        if name_sent and not typed and not picked:
            return ""
        # A name changed after the company had been chosen counts (no script).
        if company is not None and (
            picked or not name_sent or selectors.company_is_named(company, typed)
        ):
            self.resolved_company = company
            return str(company.pk)
        if not typed:
            return ""
        matches = selectors.company_matches(self.membership, typed, limit=RESOLVE_LIMIT)
        named = [company for company in matches if selectors.company_is_named(company, typed)]
        if len(named) == 1:
            self.resolved_company = named[0]
            return str(named[0].pk)
        self.company_matches = (named or matches)[:PICKER_LIMIT]
        if len(named) > 1:
            message = _("Several companies are called “%(name)s”. Choose one of them below.")
        elif matches:
            message = _("No company is called exactly “%(name)s”. Choose one of these below.")
        else:
            message = _(
                "No company matches “%(name)s”. Check the name, or create the company first."
            )
        self.add_error("company_name", ValidationError(message, params={"name": typed}))
        return ""

    def to_data(self, tag_ids, emails, phones) -> ContactData:
        c = self.cleaned_data
        return ContactData(
            family_name=c["family_name"],
            given_name=c["given_name"],
            family_name_kana=c["family_name_kana"],
            given_name_kana=c["given_name_kana"],
            company_id=c["company"] or None,
            job_title=c["job_title"],
            stage=c["stage"],
            owner_id=c["owner"] or None,
            team_id=c["team"] or None,
            tag_ids=tag_ids,
            source=c["source"],
            source_detail=c["source_detail"],
            notes=c["notes"],
            emails=emails,
            phones=phones,
            receipt={
                "provider": c.get("receipt_provider", ""),
                "obtained_how": c.get("receipt_obtained_how", ""),
                "consent_by": c.get("receipt_consent_by", ""),
                "consent_at": c.get("receipt_consent_at"),
                "consent_evidence": c.get("receipt_consent_evidence", ""),
                "categories": c.get("receipt_categories") or [],
            }
            if c["source"] == Source.THIRD_PARTY
            else None,
        )

    @classmethod
    def initial_of(cls, data: ContactData) -> dict:
        return {
            "family_name": data.family_name,
            "given_name": data.given_name,
            "family_name_kana": data.family_name_kana,
            "given_name_kana": data.given_name_kana,
            "company": str(data.company_id or ""),
            "company_name": "",
            "job_title": data.job_title,
            "stage": data.stage,
            "owner": str(data.owner_id or ""),
            "team": str(data.team_id or ""),
            "tags": [str(t) for t in data.tag_ids],
            "source": data.source,
            "source_detail": data.source_detail,
            "notes": data.notes,
        }


class ChannelRowForm(forms.Form):
    """One email or phone row of the contact form; a malformed value is an
    error on its own row."""

    kind = "emails"

    value = forms.CharField(label=_("Value"), required=False, max_length=254)
    label = forms.CharField(label=_("Label"), required=False, max_length=30)

    def clean_value(self):
        value = self.cleaned_data["value"].strip()
        if value:
            normaliser = normalise.email if self.kind == "emails" else normalise.phone
            try:
                normaliser(value)
            except ValueError:
                raise ValidationError(
                    _("“%(value)s” is not a valid email address.")
                    if self.kind == "emails"
                    else _("“%(value)s” is not a valid phone number."),
                    params={"value": value},
                ) from None
        return value


class PhoneRowForm(ChannelRowForm):
    kind = "phones"


class ChannelFormSet(forms.BaseFormSet):
    """The email or phone rows: at most ``CHANNELS_MAX``, one marked primary.

    Each row form gets ``index``, ``number`` (1-based, for labels), ``primary``
    and ``autofocus`` for the template. Shown empty, the set has one blank
    row; with values, just the values ("Add" gives another row).
    """

    kind = "emails"

    def __init__(self, data=None, *args, initial=None, focus=None, **kwargs):
        super().__init__(data, *args, initial=initial, **kwargs)
        self.error_messages["too_many_forms"] = services.too_many_channels_message(self.kind)
        if not self.is_bound:
            self.extra = 0 if initial else 1
        self.focus = focus
        self.notices: list[str] = []
        if self.is_bound:
            self.primary = str(self.data.get(self.primary_name, ""))
        else:
            flags = [bool(row.get("is_primary")) for row in initial or []]
            self.primary = str(flags.index(True)) if True in flags else "0"

    @property
    def primary_name(self) -> str:
        return f"{self.prefix}-primary"

    @property
    def can_add(self) -> bool:
        return self.total_form_count() < CHANNELS_MAX

    @property
    def too_many_message(self) -> str:
        return services.too_many_channels_message(self.kind)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.index, form.number = i, i + 1
        form.primary = str(i) == self.primary
        form.autofocus = i == self.focus
        return form

    @property
    def empty_form(self):
        form = super().empty_form
        form.index, form.number, form.primary, form.autofocus = (
            "__prefix__",
            "__num__",
            False,
            False,
        )
        return form

    def rows(self) -> list:
        """The filled rows as service input (the service makes one primary
        if the radio button marked none or an empty row)."""
        row_class = EmailIn if self.kind == "emails" else PhoneIn
        return [
            row_class(form.cleaned_data["value"], form.cleaned_data.get("label", ""), form.primary)
            for form in self.forms
            if (getattr(form, "cleaned_data", None) or {}).get("value")
        ]

    @classmethod
    def edited(cls, data, *, prefix: str, add: bool = False, remove: int | None = None):
        """The rows posted in ``data``, unbound (shown as typed, no errors), with
        a blank row added or row ``remove`` taken out (no script)."""
        try:
            total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
        except (TypeError, ValueError):
            total = 0
        primary = data.get(f"{prefix}-primary", "")
        rows = [
            {
                "value": data.get(f"{prefix}-{i}-value", "")[:254],
                "label": data.get(f"{prefix}-{i}-label", "")[:30],
                "is_primary": str(i) == primary,
            }
            for i in range(max(0, min(total, CHANNELS_MAX)))
        ]
        focus, notices = None, []
        if remove is not None and 0 <= remove < len(rows):
            del rows[remove]
            focus = min(remove, len(rows) - 1) if rows else 0
        if add:
            if len(rows) >= CHANNELS_MAX:
                notices.append(services.too_many_channels_message(cls.kind))
            else:
                rows.append({"value": "", "label": ""})
                focus = len(rows) - 1
        formset = cls(prefix=prefix, initial=rows, focus=focus)
        formset.notices = notices
        return formset


class PhoneFormSetBase(ChannelFormSet):
    kind = "phones"


_CHANNEL_LIMITS = {
    "extra": 1,
    "max_num": CHANNELS_MAX,
    "absolute_max": CHANNELS_MAX,
    "validate_max": True,
}
EmailFormSet = formset_factory(ChannelRowForm, formset=ChannelFormSet, **_CHANNEL_LIMITS)
PhoneFormSet = formset_factory(PhoneRowForm, formset=PhoneFormSetBase, **_CHANNEL_LIMITS)


class CompanyForm(_RecordForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    name_kana = forms.CharField(label=_("Name reading (kana)"), required=False, max_length=200)
    website = forms.CharField(label=_("Website"), required=False, max_length=200)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=64)
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=20)
    region = forms.CharField(label=_("Prefecture or region"), required=False, max_length=200)
    city = forms.CharField(label=_("City"), required=False, max_length=200)
    street = forms.CharField(label=_("Street address"), required=False, max_length=200)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=80)

    half_fields = frozenset(
        {
            "name",
            "name_kana",
            "website",
            "phone",
            "postal_code",
            "region",
            "city",
            "street",
            "owner",
            "team",
        }
    )
    fit_fields = frozenset({"postal_code", "phone"})

    field_order = [
        "name",
        "name_kana",
        "website",
        "phone",
        "postal_code",
        "region",
        "city",
        "street",
        "industry",
        "owner",
        "team",
        "tags",
        "new_tags",
        "notes",
    ]

    TEXT = (
        "name",
        "name_kana",
        "website",
        "phone",
        "postal_code",
        "region",
        "city",
        "street",
        "industry",
        "notes",
    )

    def to_data(self, tag_ids) -> CompanyData:
        c = self.cleaned_data
        return CompanyData(
            **{name: c[name] for name in self.TEXT},
            owner_id=c["owner"] or None,
            team_id=c["team"] or None,
            tag_ids=tag_ids,
        )

    @classmethod
    def initial_of(cls, data: CompanyData) -> dict:
        initial = {name: getattr(data, name) for name in cls.TEXT}
        initial.update(
            owner=str(data.owner_id or ""),
            team=str(data.team_id or ""),
            tags=[str(t) for t in data.tag_ids],
        )
        return initial


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of this view"), max_length=80)


class MergeForm(forms.Form):
    other = forms.UUIDField(label=_("Contact to merge into this one"))
