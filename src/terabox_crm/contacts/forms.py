"""Forms of the contact and company screens.

Forms collect and shape input only; the services validate meaning (foreign
ids, email and phone formats, sizes) and their errors are mapped back onto
the form fields by ``apply_errors``. Choice lists (companies, owners, teams,
tags) hold only the current workspace's rows the user may see.
"""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.contacts import selectors
from terabox_crm.contacts.models import NOTES_MAX_LENGTH, Source, Stage, Tag
from terabox_crm.contacts.services import CompanyData, ContactData, EmailIn, PhoneIn
from terabox_crm.core.models import Membership, Team

COMPANY_CHOICES_LIMIT = 200


def _owner_choices(membership):
    members = Membership.objects.filter(workspace_id=membership.workspace_id).select_related("user")
    return [("", "—")] + [(str(m.user_id), m.user.label) for m in members]


def _team_choices(membership):
    teams = Team.objects.filter(workspace_id=membership.workspace_id)
    return [("", "—")] + [(str(t.pk), t.name) for t in teams]


def _tag_choices(membership):
    return [(str(t.pk), t.name) for t in Tag.objects.filter(workspace_id=membership.workspace_id)]


def _company_choices(membership, also=()):
    """The newest visible companies, plus ``also`` (the current or posted one,
    when visible) so a contact of an older company keeps it when edited."""
    selectors.preload_keys(membership.workspace_id)
    visible = selectors.companies_for_list(membership)
    rows = list(visible.order_by("-created_at")[:COMPANY_CHOICES_LIMIT])
    shown = {str(c.pk) for c in rows}
    wanted = []
    for value in also:
        try:
            wanted.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    missing = [pk for pk in wanted if str(pk) not in shown]
    if missing:
        rows.extend(visible.filter(pk__in=missing))
    return [("", "—")] + [(str(c.pk), c.name) for c in rows]


class _RecordForm(forms.Form):
    owner = forms.ChoiceField(label=pgettext_lazy("record owner", "Owner"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    tags = forms.MultipleChoiceField(
        label=_("Tags"), required=False, widget=forms.CheckboxSelectMultiple
    )
    new_tags = forms.CharField(
        label=_("New tags"),
        required=False,
        max_length=300,
        help_text=_("Separate several tags with commas."),
    )
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
        self.fields["tags"].choices = _tag_choices(membership)

    def clean_notes(self):
        notes = self.cleaned_data["notes"]
        if len(notes) > NOTES_MAX_LENGTH:
            raise ValidationError(
                _("This text is too long: at most %(limit)s characters (it has %(length)s)."),
                params={"limit": f"{NOTES_MAX_LENGTH:,}", "length": f"{len(notes):,}"},
            )
        return notes

    def new_tag_names(self) -> list[str]:
        return [n.strip() for n in self.cleaned_data.get("new_tags", "").split(",") if n.strip()]

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
    company = forms.ChoiceField(label=_("Company"), required=False)
    job_title = forms.CharField(label=_("Job title"), required=False, max_length=200)
    stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=Stage.choices)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    source_detail = forms.CharField(label=_("Source detail"), required=False, max_length=200)
    confirm_duplicate = forms.BooleanField(
        label=_("Create anyway: this is not one of the contacts above"), required=False
    )

    field_order = [
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "company",
        "job_title",
        "stage",
        "owner",
        "team",
        "tags",
        "new_tags",
        "source",
        "source_detail",
        "notes",
    ]
    FIELD_MAP = {**_RecordForm.FIELD_MAP, "company_id": "company"}

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, membership=membership, **kwargs)
        also = [self.initial.get("company"), self.data.get("company")]
        self.fields["company"].choices = _company_choices(membership, [v for v in also if v])

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
        )

    @classmethod
    def initial_of(cls, data: ContactData) -> dict:
        return {
            "family_name": data.family_name,
            "given_name": data.given_name,
            "family_name_kana": data.family_name_kana,
            "given_name_kana": data.given_name_kana,
            "company": str(data.company_id or ""),
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
    """One email or phone row of the contact form."""

    value = forms.CharField(label=_("Value"), required=False, max_length=254)
    label = forms.CharField(label=_("Label"), required=False, max_length=30)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


EmailFormSet = formset_factory(ChannelRowForm, extra=2, max_num=20, absolute_max=20)
PhoneFormSet = formset_factory(ChannelRowForm, extra=2, max_num=20, absolute_max=20)


def rows_of(formset, kind):
    row_class = EmailIn if kind == "emails" else PhoneIn
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if (data.get("value") or "").strip():
            rows.append(
                row_class(data["value"], data.get("label", ""), data.get("is_primary", False))
            )
    return rows


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
