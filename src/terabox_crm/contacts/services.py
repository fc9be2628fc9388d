"""Writes on companies and contacts: create, update, delete, merge.

Each service takes the acting ``membership`` (the actor is its user),
validates everything before writing — foreign-workspace ids, email and phone
formats, sizes — and raises one ``ValidationError`` holding every field's
translated messages, so bad input changes nothing. A company must be one the
actor may read (``core.records``) and an owner a member of the workspace
(``core.members``), each answered like a record that does not exist; those
refusals are security events, recorded after the rollback (``refusals``).
Links a record already had (an update, a merge) are kept without a check.
Then, in one transaction:
the row, its emails/phones/tags, its blind-index terms, an audit event (field
*names* in the payload; personal before/after values in ``personal=``,
encrypted under the contact's or company's own key) and, after commit, a
domain event for listeners (``contacts.events``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terabox_crm import audit
from terabox_crm.contacts import search
from terabox_crm.contacts.models import (
    NOTES_MAX_LENGTH,
    Company,
    Contact,
    ContactEmail,
    ContactPhone,
    SavedView,
    Source,
    Stage,
    Tag,
)
from terabox_crm.core import guards, members, records
from terabox_crm.core.bus import publish
from terabox_crm.core.models import Membership, Team
from terabox_crm.crypto import normalise
from terabox_crm.erasure import selectors as erasure_selectors
from terabox_crm.lists import bulk
from terabox_crm.privacy import services as privacy
from terabox_crm.refusals import Refusal, recorded_after_rollback
from terabox_crm.rows import insert

TEXT_MAX_LENGTH = 200
CHANNELS_MAX = 20  # emails, and phones, of one contact


@dataclass
class EmailIn:
    value: str
    label: str = ""
    is_primary: bool = False


@dataclass
class PhoneIn:
    value: str
    label: str = ""
    is_primary: bool = False


@dataclass
class ContactData:
    family_name: str = ""
    given_name: str = ""
    family_name_kana: str = ""
    given_name_kana: str = ""
    company_id: object = None
    job_title: str = ""
    stage: str = Stage.LEAD
    owner_id: object = None
    team_id: object = None
    tag_ids: list = field(default_factory=list)
    source: str = Source.DIRECT
    source_detail: str = ""
    notes: str = ""
    emails: list[EmailIn] = field(default_factory=list)
    phones: list[PhoneIn] = field(default_factory=list)
    # From a third party (P4): the consent reference and receipt record's
    # fields (``privacy.services.receipt_check``); required to create one.
    receipt: dict | None = None


@dataclass
class CompanyData:
    name: str = ""
    name_kana: str = ""
    website: str = ""
    phone: str = ""
    postal_code: str = ""
    region: str = ""
    city: str = ""
    street: str = ""
    industry: str = ""
    owner_id: object = None
    team_id: object = None
    tag_ids: list = field(default_factory=list)
    notes: str = ""


CONTACT_PERSONAL = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "job_title",
    "source_detail",
    "notes",
)
CONTACT_PLAIN = ("company_id", "stage", "owner_id", "team_id", "source")
COMPANY_PERSONAL = (
    "name",
    "name_kana",
    "phone",
    "postal_code",
    "region",
    "city",
    "street",
    "notes",
)
COMPANY_PLAIN = ("website", "industry", "owner_id", "team_id")

# Called as hook(keep, merge_away, membership) inside the merge transaction, before
# the merged-away contact is deleted: apps that hang rows on a contact (activities,
# consents) move theirs to ``keep`` here.
_merge_hooks: list[Callable] = []


def register_merge_hook(hook: Callable) -> None:
    if hook not in _merge_hooks:
        _merge_hooks.append(hook)


# --- Validation ---------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}
        self.audit_events: list[dict] = []

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def refuse(self, name: str, refusal: Refusal) -> None:
        """A core refusal (a link, a user id) on field ``name``, with its security events."""
        self.add(name, str(refusal.message))
        self.audit_events += refusal.audit_events

    def raise_if_any(self) -> None:
        if self.by_field:
            error = ValidationError(self.by_field)
            error.audit_events = self.audit_events  # recorded after the rollback
            raise error


def _as_uuid(value):
    if value in (None, ""):
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return False


def _check_text(errors: _Errors, data, names) -> None:
    for name in names:
        value = getattr(data, name) or ""
        limit = NOTES_MAX_LENGTH if name == "notes" else TEXT_MAX_LENGTH
        if len(value) > limit:
            errors.add(
                name,
                _("This text is too long: at most %(limit)s characters (it has %(length)s).")
                % {"limit": f"{limit:,}", "length": f"{len(value):,}"},
            )


class Lookups:
    """The acting membership's answers about its workspace — is this user a
    member, this team and these tags the workspace's, this company readable —
    each asked of the database once and remembered for this ``Lookups`` only:
    one call of a service, or one batch of rows (an import validates N
    contacts against one ``Lookups``: each distinct owner, team, tag and
    company costs one query however many rows name it). Never shared across
    requests: a member who leaves, or a tag deleted, is seen by the next one.
    """

    def __init__(self, membership) -> None:
        self.membership = membership
        self._owners: dict[str, object] = {}  # user id → user id, or the refusal
        self._teams: dict[uuid.UUID, bool] = {}
        self._tags: dict[uuid.UUID, Tag | None] = {}
        self._companies: dict[uuid.UUID, object] = {}  # id → id, or the refusal

    def owner_id(self, value, *, current=None):
        """The user id ``value`` names if a member (``members.member_user``);
        else raises its ``Refusal``. The actor is a member: the
        membership acting is the answer, without a query."""
        membership = self.membership
        if str(records.pk_of(value)) == str(membership.user_id):
            return membership.user_id
        key = str(records.pk_of(value))
        if key not in self._owners or current is not None:
            try:
                owner = members.member_user(
                    workspace=membership.workspace_id,
                    value=value,
                    actor=membership.user_id,
                    field="owner_id",
                    current=current,
                )
            except Refusal as refusal:
                self._owners[key] = refusal
            else:
                self._owners[key] = records.pk_of(owner)
        answer = self._owners[key]
        if isinstance(answer, Refusal):
            raise answer
        return answer

    def is_team(self, team_id: uuid.UUID) -> bool:
        if team_id not in self._teams:
            self._teams[team_id] = Team.objects.filter(
                workspace_id=self.membership.workspace_id, pk=team_id
            ).exists()
        return self._teams[team_id]

    def tags(self, tag_ids: set) -> list[Tag] | None:
        """The workspace's tags with these ids, or None when one is not its."""
        missing = [tag_id for tag_id in tag_ids if tag_id not in self._tags]
        if missing:
            found = {
                tag.pk: tag
                for tag in Tag.objects.filter(
                    workspace_id=self.membership.workspace_id, pk__in=missing
                )
            }
            self._tags.update({tag_id: found.get(tag_id) for tag_id in missing})
        tags = [self._tags[tag_id] for tag_id in tag_ids]
        return None if any(tag is None for tag in tags) else tags

    def company_id(self, company_id: uuid.UUID):
        """``company_id`` if the actor may read it (``records.readable``);
        else raises its ``Refusal``."""
        if company_id not in self._companies:
            try:
                records.readable(self.membership, Company, company_id, field="company_id")
            except Refusal as refusal:
                self._companies[company_id] = refusal
            else:
                self._companies[company_id] = company_id
        answer = self._companies[company_id]
        if isinstance(answer, Refusal):
            raise answer
        return answer


def _resolve_common(errors: _Errors, membership, data, kept=(), lookups=None) -> dict:
    """Owner, team and tags, each only from the acting membership's workspace.

    ``kept``: the records being changed; an owner one of them already has is
    kept without a check (a former member stays until someone changes it).
    """
    lookups = lookups or Lookups(membership)
    resolved: dict = {"owner_id": None, "team_id": None, "tags": []}
    if data.owner_id not in (None, ""):
        current = next((r.owner_id for r in kept if str(r.owner_id) == str(data.owner_id)), None)
        try:
            resolved["owner_id"] = lookups.owner_id(data.owner_id, current=current)
        except Refusal as refusal:
            errors.refuse("owner_id", refusal)
    team_id = _as_uuid(data.team_id)
    if team_id is False or (team_id and not lookups.is_team(team_id)):
        errors.add("team_id", _("Choose a team of this workspace."))
    else:
        resolved["team_id"] = team_id
    tag_ids = [_as_uuid(tag_id) for tag_id in data.tag_ids or []]
    if any(tag_id is False or tag_id is None for tag_id in tag_ids):
        errors.add("tag_ids", _("Choose tags of this workspace."))
    elif tag_ids:
        tags = lookups.tags(set(tag_ids))
        if tags is None:
            errors.add("tag_ids", _("Choose tags of this workspace."))
        resolved["tags"] = tags or []
    return resolved


def too_many_channels_message(kind: str) -> str:
    """The refusal of more than ``CHANNELS_MAX`` emails or phones (form and API)."""
    if kind == "emails":
        text = _("A contact can have at most %(limit)s email addresses.")
    else:
        text = _("A contact can have at most %(limit)s phone numbers.")
    return text % {"limit": CHANNELS_MAX}


def _normalised_rows(errors: _Errors, rows, kind: str) -> list:
    normaliser = normalise.email if kind == "emails" else normalise.phone
    if sum(1 for row in rows or [] if (row.value or "").strip()) > CHANNELS_MAX:
        errors.add(kind, too_many_channels_message(kind))
        return []
    message = (
        _("“%(value)s” is not a valid email address.")
        if kind == "emails"
        else _("“%(value)s” is not a valid phone number.")
    )
    seen, clean = set(), []
    for row in rows or []:
        raw = (row.value or "").strip()
        if not raw:
            continue
        if len(raw) > TEXT_MAX_LENGTH:
            errors.add(kind, message % {"value": raw[:40] + "…"})
            continue
        try:
            value = normaliser(raw)
        except ValueError:
            errors.add(kind, message % {"value": raw})
            continue
        if value in seen:
            continue
        seen.add(value)
        label = (row.label or "").strip()[:30]
        clean.append(type(row)(value=value, label=label, is_primary=bool(row.is_primary)))
    if clean and not any(row.is_primary for row in clean):
        clean[0].is_primary = True
    elif sum(row.is_primary for row in clean) > 1:
        first = next(i for i, row in enumerate(clean) if row.is_primary)
        for i, row in enumerate(clean):
            row.is_primary = i == first
    return clean


def _validate_contact(membership, data: ContactData, kept=(), lookups=None) -> dict:
    errors = _Errors()
    lookups = lookups or Lookups(membership)
    for name in CONTACT_PERSONAL:
        setattr(data, name, (getattr(data, name) or "").strip())
    # Readings are stored in katakana however they were typed (forms, API, imports).
    data.family_name_kana = normalise.katakana(data.family_name_kana)
    data.given_name_kana = normalise.katakana(data.given_name_kana)
    if not data.family_name and not data.given_name:
        errors.add("family_name", _("Enter a family name or a given name."))
    if data.stage not in Stage.values:
        errors.add("stage", _("Choose a lifecycle stage from the list."))
    if data.source not in Source.values:
        errors.add("source", _("Choose a source from the list."))
    _check_text(errors, data, CONTACT_PERSONAL)
    resolved = _resolve_common(errors, membership, data, kept, lookups)
    company_id = _as_uuid(data.company_id)
    linked = {str(record.company_id) for record in kept if record.company_id}
    if company_id is False:
        errors.add("company_id", Company.link_refused_message)
    elif company_id and str(company_id) not in linked:
        try:
            resolved["company_id"] = lookups.company_id(company_id)
        except Refusal as refusal:
            errors.refuse("company_id", refusal)
    else:
        resolved["company_id"] = company_id
    resolved["emails"] = _normalised_rows(errors, data.emails, "emails")
    resolved["phones"] = _normalised_rows(errors, data.phones, "phones")
    errors.raise_if_any()
    return resolved


@recorded_after_rollback
def contact_validate(
    *, membership: Membership, data: ContactData, contact: Contact | None = None
) -> None:
    """Raise the ``ValidationError`` that ``contact_create`` (or, given
    ``contact``, ``contact_update``) would, writing nothing: the form checks
    input before it looks for possible duplicates, outside the transaction
    that saves, so a refusal's security event stays on record."""
    _validate_contact(membership, replace(data), kept=(contact,) if contact else ())


def _validate_company(membership, data: CompanyData, kept=()) -> dict:
    errors = _Errors()
    for name in (*COMPANY_PERSONAL, "website", "industry"):
        setattr(data, name, (getattr(data, name) or "").strip())
    data.name_kana = normalise.katakana(data.name_kana)
    if not data.name:
        errors.add("name", _("Enter the company's name."))
    _check_text(errors, data, (*COMPANY_PERSONAL, "website"))
    if len(data.industry) > 80:
        errors.add("industry", _("This text is too long: at most 80 characters."))
    if data.website and not data.website.startswith(("https://", "http://")):
        errors.add("website", _("Enter a web address starting with https://."))
    if data.phone:
        try:
            data.phone = normalise.phone(data.phone)
        except ValueError:
            errors.add(
                "phone", _("“%(value)s” is not a valid phone number.") % {"value": data.phone}
            )
    resolved = _resolve_common(errors, membership, data, kept)
    errors.raise_if_any()
    return resolved


@recorded_after_rollback
def company_validate(
    *, membership: Membership, data: CompanyData, company: Company | None = None
) -> None:
    """Raise the ``ValidationError`` that ``company_create`` (or, given
    ``company``, ``company_update``) would, writing nothing (an import's dry
    run asks it for each row)."""
    _validate_company(membership, replace(data), kept=(company,) if company else ())


def _require(membership, action: str, obj=None) -> None:
    """The guard's 403, recorded (``core.guards``)."""
    guards.require(membership, action, obj, code="permission_denied")


# --- Contacts -----------------------------------------------------------------------------


def contact_data_of(contact: Contact) -> ContactData:
    """The current values of ``contact`` as input, for partial updates."""
    return ContactData(
        **{name: getattr(contact, name) for name in CONTACT_PERSONAL},
        **{name: getattr(contact, name) for name in CONTACT_PLAIN},
        tag_ids=[tag.pk for tag in contact.tags.all()],
        emails=[EmailIn(e.value, e.label, e.is_primary) for e in contact.emails.all()],
        phones=[PhoneIn(p.value, p.label, p.is_primary) for p in contact.phones.all()],
    )


def _write_children(contact: Contact, resolved: dict) -> None:
    ContactEmail.objects.filter(contact=contact).delete()
    ContactPhone.objects.filter(contact=contact).delete()
    ContactEmail.objects.bulk_create(
        ContactEmail(
            workspace_id=contact.workspace_id,
            contact=contact,
            value=row.value,
            label=row.label,
            is_primary=row.is_primary,
        )
        for row in resolved["emails"]
    )
    ContactPhone.objects.bulk_create(
        ContactPhone(
            workspace_id=contact.workspace_id,
            contact=contact,
            value=row.value,
            label=row.label,
            is_primary=row.is_primary,
        )
        for row in resolved["phones"]
    )
    contact.tags.set(resolved["tags"])
    search.index_contact(
        contact,
        emails=[row.value for row in resolved["emails"]],
        phones=[row.value for row in resolved["phones"]],
    )


def _insert_children(contacts: list[Contact], resolved: dict) -> None:
    """The emails, phones, tags and search terms of contacts created in this
    transaction: nothing to replace, so one INSERT per table for all of them
    (``resolved`` maps each contact's id to its validated values). A batch
    of new contacts passes them all at once."""
    for model, kind in ((ContactEmail, "emails"), (ContactPhone, "phones")):
        insert(
            [
                model(
                    workspace_id=contact.workspace_id,
                    contact=contact,
                    value=row.value,
                    label=row.label,
                    is_primary=row.is_primary,
                )
                for contact in contacts
                for row in resolved[contact.pk][kind]
            ]
        )
    tagged = [
        Contact.tags.through(contact_id=contact.pk, tag_id=tag.pk)
        for contact in contacts
        for tag in resolved[contact.pk]["tags"]
    ]
    if tagged:  # most contacts are created without tags: no statement, no ORM call
        insert(tagged)
    search.index_new_contacts(
        contacts,
        emails={c.pk: [row.value for row in resolved[c.pk]["emails"]] for c in contacts},
        phones={c.pk: [row.value for row in resolved[c.pk]["phones"]] for c in contacts},
    )


def _new_contact_snapshot(contact: Contact, resolved: dict) -> dict:
    """``_contact_snapshot`` of a contact just created, from the values written."""
    snapshot = {name: getattr(contact, name) for name in CONTACT_PERSONAL}
    snapshot["emails"] = sorted(row.value for row in resolved["emails"])
    snapshot["phones"] = sorted(row.value for row in resolved["phones"])
    return snapshot


def _contact_snapshot(contact: Contact) -> dict:
    snapshot = {name: getattr(contact, name) for name in CONTACT_PERSONAL}
    snapshot["emails"] = sorted(e.value for e in contact.emails.all())
    snapshot["phones"] = sorted(p.value for p in contact.phones.all())
    return snapshot


@recorded_after_rollback
@transaction.atomic
def contact_create(*, membership: Membership, data: ContactData) -> Contact:
    """Create a contact with its emails, phones and tags (owner defaults to the actor).

    The write path of a new contact (docs/performance.md, "Write path"): one
    INSERT per table — the contact, its emails, its phones, its tags, its
    search terms — with nothing to delete first, and its audit event's
    detail sealed under a subject key made without looking for an older one
    (``audit.record(new_subject=True)``). Each piece takes lists, so a batch
    of contacts shares them: one ``Lookups`` for the validation, one INSERT
    per table (``_insert_children``), one key INSERT
    (``keyring.create_first_keys``) and one lock of the audit chain head.
    """
    _require(membership, "contacts.add")
    data = replace(data)
    if data.owner_id in (None, ""):
        data.owner_id = membership.user_id
    resolved = _validate_contact(membership, data, lookups=Lookups(membership))
    receipt = _third_party_receipt(data)
    contact = Contact(
        workspace_id=membership.workspace_id,
        **{name: getattr(data, name) for name in CONTACT_PERSONAL},
        stage=data.stage,
        source=data.source,
        company_id=resolved["company_id"],
        owner_id=resolved["owner_id"],
        team_id=resolved["team_id"],
    )
    insert([contact])  # as save(force_insert=True), its INSERT built once
    _insert_children([contact], {contact.pk: resolved})
    personal = {k: v for k, v in _new_contact_snapshot(contact, resolved).items() if v}
    audit.record(
        "contacts.contact.created",
        actor=membership.user_id,
        workspace=membership.workspace_id,
        obj=contact,
        payload={"fields": sorted(personal), "stage": contact.stage, "source": contact.source},
        personal=personal,
        subject_id=contact.pk,
        new_subject=True,
    )
    if receipt is not None:
        privacy.receipt_record(membership=membership, subject_id=contact.pk, **receipt)
    _flag_suppressed(membership, contact, resolved)
    publish("contact.created", workspace_id=contact.workspace_id, object_id=contact.pk)
    return contact


def _third_party_receipt(data: ContactData) -> dict | None:
    """For a contact from a third party, its receipt's fields, checked (P4):
    without a consent reference (who consented, when, evidence) the contact
    is refused, naming the missing field."""
    if data.source != Source.THIRD_PARTY:
        return None
    receipt = dict(data.receipt or {})
    try:
        privacy.receipt_check(**receipt)
    except Refusal as refusal:
        raise ValidationError({f"receipt_{refusal.field}": [str(refusal.message)]}) from None
    except TypeError:
        raise ValidationError(
            {"receipt": [_("The receipt has fields this form does not know.")]}
        ) from None
    return receipt


def _flag_suppressed(membership: Membership, contact: Contact, resolved: dict) -> None:
    """Flag a new contact holding an erased person's email or phone (P8, the
    suppression list): the create goes through — the person may have come
    back of their own accord — but the contact carries ``suppressed`` (the
    matching values, for the page's warning) and the audit trail an event
    naming only which kinds matched."""
    emails = [row.value for row in resolved["emails"]]
    phones = [row.value for row in resolved["phones"]]
    hits = erasure_selectors.suppressed(contact.workspace_id, emails=emails, phones=phones)
    contact.suppressed = sorted(hits)
    if hits:
        audit.record(
            "privacy.suppression.matched",
            actor=membership.user_id,
            workspace=membership.workspace_id,
            obj=contact,
            payload={
                "emails": sum(1 for e in emails if e in hits),
                "phones": sum(1 for p in phones if p in hits),
            },
        )


@recorded_after_rollback
@transaction.atomic
def contact_update(*, membership: Membership, contact: Contact, data: ContactData) -> Contact:
    """Replace the contact's values with ``data``; audit the fields that changed."""
    _require(membership, "contacts.change", contact)
    data = replace(data)
    resolved = _validate_contact(membership, data, kept=(contact,))
    # Becoming a contact from a third party needs the receipt, as on create (P4).
    receipt = _third_party_receipt(data) if contact.source != Source.THIRD_PARTY else None
    before = _contact_snapshot(contact)
    before_plain = {name: getattr(contact, name) for name in CONTACT_PLAIN}
    before_tags = {tag.pk for tag in contact.tags.all()}
    for name in CONTACT_PERSONAL:
        setattr(contact, name, getattr(data, name))
    contact.stage, contact.source = data.stage, data.source
    contact.company_id = resolved["company_id"]
    contact.owner_id = resolved["owner_id"]
    contact.team_id = resolved["team_id"]
    contact.save()
    _write_children(contact, resolved)
    for cache in ("emails", "phones", "tags"):
        getattr(contact, "_prefetched_objects_cache", {}).pop(cache, None)
    after = _contact_snapshot(contact)
    changed_personal = {
        name: {"before": before[name], "after": after[name]}
        for name in after
        if before[name] != after[name]
    }
    changed_plain = sorted(
        name for name in CONTACT_PLAIN if str(before_plain[name]) != str(getattr(contact, name))
    )
    if {tag.pk for tag in resolved["tags"]} != before_tags:
        changed_plain.append("tags")
    audit.record(
        "contacts.contact.updated",
        actor=membership.user_id,
        workspace=membership.workspace_id,
        obj=contact,
        payload={"fields": sorted([*changed_personal, *changed_plain])},
        personal=changed_personal or None,
        subject_id=contact.pk,
    )
    if receipt is not None:
        privacy.receipt_record(membership=membership, subject_id=contact.pk, **receipt)
    publish("contact.updated", workspace_id=contact.workspace_id, object_id=contact.pk)
    return contact


@recorded_after_rollback
@transaction.atomic
def contact_delete(*, membership: Membership, contact: Contact) -> None:
    """Delete a contact, its emails, phones and search terms."""
    _require(membership, "contacts.delete", contact)
    personal = {k: v for k, v in _contact_snapshot(contact).items() if v}
    contact_id, workspace_id = contact.pk, contact.workspace_id
    audit.record(
        "contacts.contact.deleted",
        actor=membership.user_id,
        workspace=workspace_id,
        obj=contact,
        payload={"fields": sorted(personal)},
        personal=personal,
        subject_id=contact_id,
    )
    from terabox_crm.crypto import search_index

    search_index.forget(workspace_id, contact_id)
    contact.delete()
    publish("contact.deleted", workspace_id=workspace_id, object_id=contact_id)


@recorded_after_rollback
@transaction.atomic
def contact_merge(*, membership: Membership, keep: Contact, merge_away) -> Contact:
    """Merge ``merge_away`` (a contact or its id) into ``keep`` and delete it.

    ``keep`` gains the other's emails and phones (without duplicates) and tags;
    its empty fields (names, readings, job title, company, notes) are filled
    from the other. Apps with rows on contacts move them through
    ``register_merge_hook``. Both ids get an audit event. A contact the actor
    may not read is refused as one that does not exist.
    """
    try:
        merge_away = records.readable(membership, Contact, merge_away, field="merge_away")
    except Refusal as refusal:
        errors = _Errors()
        errors.refuse("merge_away", refusal)
        errors.raise_if_any()
    if keep.pk == merge_away.pk:
        raise ValidationError({"merge_away": [_("Choose two different contacts.")]})
    _require(membership, "contacts.merge", keep)
    _require(membership, "contacts.merge", merge_away)
    data = contact_data_of(keep)
    other = contact_data_of(merge_away)
    filled = []
    for name in (*CONTACT_PERSONAL, "company_id"):
        if not getattr(data, name) and getattr(other, name):
            setattr(data, name, getattr(other, name))
            filled.append(name)
    for row in other.emails:
        row.is_primary = False
    for row in other.phones:
        row.is_primary = False
    data.emails = [*data.emails, *other.emails]
    data.phones = [*data.phones, *other.phones]
    data.tag_ids = list({*data.tag_ids, *other.tag_ids})
    resolved = _validate_contact(membership, data, kept=(keep, merge_away))
    before = _contact_snapshot(keep)
    for name in CONTACT_PERSONAL:
        setattr(keep, name, getattr(data, name))
    keep.company_id = resolved["company_id"]
    keep.save()
    _write_children(keep, resolved)
    for hook in _merge_hooks:
        hook(keep, merge_away, membership)
    keep = Contact.objects.get(pk=keep.pk)
    after = _contact_snapshot(keep)
    audit.record(
        "contacts.contact.merged",
        actor=membership.user_id,
        workspace=membership.workspace_id,
        obj=keep,
        payload={"role": "kept", "merged_id": str(merge_away.pk), "filled": sorted(filled)},
        personal={
            k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]
        }
        or None,
        subject_id=keep.pk,
    )
    away_values = {k: v for k, v in _contact_snapshot(merge_away).items() if v}
    audit.record(
        "contacts.contact.merged",
        actor=membership.user_id,
        workspace=membership.workspace_id,
        obj=merge_away,
        payload={"role": "merged_away", "kept_id": str(keep.pk)},
        personal=away_values,
        subject_id=merge_away.pk,
    )
    from terabox_crm.crypto import search_index

    away_id = merge_away.pk
    search_index.forget(membership.workspace_id, away_id)
    merge_away.delete()
    publish("contact.merged", workspace_id=keep.workspace_id, object_id=keep.pk)
    publish("contact.deleted", workspace_id=keep.workspace_id, object_id=away_id)
    return keep


# --- Companies ----------------------------------------------------------------------------


def company_data_of(company: Company) -> CompanyData:
    values = {f.name: getattr(company, f.name) for f in fields(CompanyData) if f.name != "tag_ids"}
    return CompanyData(**values, tag_ids=[tag.pk for tag in company.tags.all()])


def _company_snapshot(company: Company) -> dict:
    return {name: getattr(company, name) for name in COMPANY_PERSONAL}


@recorded_after_rollback
@transaction.atomic
def company_create(*, membership: Membership, data: CompanyData) -> Company:
    """Create a company (owner defaults to the actor)."""
    _require(membership, "companies.add")
    data = replace(data)
    if data.owner_id in (None, ""):
        data.owner_id = membership.user_id
    resolved = _validate_company(membership, data)
    company = Company(
        workspace_id=membership.workspace_id,
        **{name: getattr(data, name) for name in (*COMPANY_PERSONAL, "website", "industry")},
        owner_id=resolved["owner_id"],
        team_id=resolved["team_id"],
    )
    company.save()
    company.tags.set(resolved["tags"])
    search.index_company(company)
    personal = {k: v for k, v in _company_snapshot(company).items() if v}
    audit.record(
        "contacts.company.created",
        actor=membership.user_id,
        workspace=membership.workspace_id,
        obj=company,
        payload={"fields": sorted(personal)},
        personal=personal,
        subject_id=company.pk,
    )
    publish("company.created", workspace_id=company.workspace_id, object_id=company.pk)
    return company


@recorded_after_rollback
@transaction.atomic
def company_update(*, membership: Membership, company: Company, data: CompanyData) -> Company:
    """Replace the company's values with ``data``; audit the fields that changed."""
    _require(membership, "companies.change", company)
    data = replace(data)
    resolved = _validate_company(membership, data, kept=(company,))
    before = _company_snapshot(company)
    before_plain = {name: str(getattr(company, name)) for name in COMPANY_PLAIN}
    for name in (*COMPANY_PERSONAL, "website", "industry"):
        setattr(company, name, getattr(data, name))
    company.owner_id, company.team_id = resolved["owner_id"], resolved["team_id"]
    company.save()
    company.tags.set(resolved["tags"])
    search.index_company(company)
    after = _company_snapshot(company)
    changed = {k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]}
    plain = [k for k in COMPANY_PLAIN if before_plain[k] != str(getattr(company, k))]
    audit.record(
        "contacts.company.updated",
        actor=membership.user_id,
        workspace=membership.workspace_id,
        obj=company,
        payload={"fields": sorted([*changed, *plain])},
        personal=changed or None,
        subject_id=company.pk,
    )
    publish("company.updated", workspace_id=company.workspace_id, object_id=company.pk)
    return company


@recorded_after_rollback
@transaction.atomic
def company_delete(*, membership: Membership, company: Company) -> None:
    """Delete a company; its contacts stay, without a company."""
    _require(membership, "companies.delete", company)
    personal = {k: v for k, v in _company_snapshot(company).items() if v}
    company_id, workspace_id = company.pk, company.workspace_id
    audit.record(
        "contacts.company.deleted",
        actor=membership.user_id,
        workspace=workspace_id,
        obj=company,
        payload={"fields": sorted(personal)},
        personal=personal,
        subject_id=company_id,
    )
    from terabox_crm.crypto import search_index

    search_index.forget(workspace_id, company_id)
    company.delete()
    publish("company.deleted", workspace_id=workspace_id, object_id=company_id)


# --- Tags and saved views (no personal data, not audited beyond the row) -------------------


@recorded_after_rollback
@transaction.atomic
def tag_get_or_create(*, membership: Membership, name: str) -> Tag:
    """A tag by name in the workspace, created on first use by a member who may add."""
    _require(membership, "contacts.add")
    name = name.strip()[:60]
    if not name:
        raise ValidationError({"name": [_("Enter a tag name.")]})
    tag, _created = Tag.objects.get_or_create(workspace_id=membership.workspace_id, name=name)
    return tag


def tags_for(*, membership: Membership, tag_ids) -> list[Tag]:
    """The workspace's tags with these ids, for another record (a deal, a
    ticket). Any other id — another workspace's, deleted, not an id —
    refuses the whole change with one answer, saying nothing about it."""
    wanted = {str(tag_id) for tag_id in tag_ids if tag_id}
    if not wanted:
        return []
    keys = {_as_uuid(tag_id) for tag_id in wanted}
    tags = []
    if None not in keys and False not in keys:
        tags = list(Tag.objects.filter(workspace_id=membership.workspace_id, pk__in=keys))
    if len(tags) != len(wanted):
        raise Refusal(_("Choose tags of this workspace."), code="unknown_tag", field="tags")
    return tags


ALLOWED_VIEW_FILTERS = ("stage", "owner", "tag", "company", "source", "sort")


@recorded_after_rollback
@transaction.atomic
def saved_view_create(*, membership: Membership, name: str, filters: dict) -> SavedView:
    """Save the current list filters (ids and codes only) under ``name`` for the user."""
    _require(membership, "contacts.view")
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationError({"name": [_("Enter a name of at most 80 characters.")]})
    clean = {k: str(v)[:64] for k, v in filters.items() if k in ALLOWED_VIEW_FILTERS and v}
    return SavedView.objects.create(
        workspace_id=membership.workspace_id, user_id=membership.user_id, name=name, filters=clean
    )


@recorded_after_rollback
@transaction.atomic
def saved_view_delete(*, membership: Membership, view: SavedView) -> None:
    if view.user_id != membership.user_id or view.workspace_id != membership.workspace_id:
        raise guards.refusal(
            membership,
            "saved_views.delete",
            view,
            message=_("This saved view is not yours."),
            code="not_owner",
            status=404,
        )
    view.delete()


# --- Bulk actions on the contact list (docs/ui.md "Bulk actions") ----------------------


def _bulk_stage(membership: Membership, rows: list, value, name: str) -> int:
    if value not in Stage.values:
        raise bulk.refused_value(membership, name, _("Choose a lifecycle stage."))
    changed = [r for r in rows if r.stage != value]
    Contact.objects.filter(pk__in=[r.pk for r in changed]).update(
        stage=value, updated_at=timezone.now()
    )
    return _bulk_updated(membership, changed, ["stage"])


def bulk_tags(add: bool, *, subject=None, payload=None):
    """The bulk bar's "Add tag" / "Remove tag" for any tagged list (contacts,
    companies, deals, tickets): one tag of the workspace, set-based on the
    through table, one ``<app>.<kind>.updated`` audit event per record that
    changed (``subject``/``payload``: as the list's single change records
    them) and its bus event."""

    def handler(membership: Membership, rows: list, value, name: str) -> int:
        tag_id = _as_uuid(value)
        tags = Lookups(membership).tags({tag_id}) if tag_id else None
        if not tags:
            raise bulk.refused_value(membership, name, _("Choose tags of this workspace."))
        model = type(rows[0])
        through = model.tags.through
        column = f"{model._meta.model_name}_id"
        having = set(
            through.objects.filter(
                **{f"{column}__in": [r.pk for r in rows], "tag_id": tag_id}
            ).values_list(column, flat=True)
        )
        if add:
            changed = [r for r in rows if r.pk not in having]
            through.objects.bulk_create(
                [through(**{column: r.pk, "tag_id": tag_id}) for r in changed],
                ignore_conflicts=True,
            )
        else:
            changed = [r for r in rows if r.pk in having]
            through.objects.filter(
                **{f"{column}__in": [r.pk for r in changed], "tag_id": tag_id}
            ).delete()
        model.objects.filter(pk__in=[r.pk for r in changed]).update(updated_at=timezone.now())
        return _bulk_updated(
            membership,
            changed,
            ["tags"],
            subject=subject or _own_pk,
            payload=payload,
        )

    return handler


def _bulk_updated(
    membership: Membership,
    changed: list,
    fields_changed: list[str],
    *,
    subject=None,
    payload=None,
) -> int:
    """The audit event and bus event of each record a bulk action changed."""
    if not changed:
        return 0
    kind = changed[0]._meta.model_name
    bulk.audited(
        membership,
        changed,
        action=f"{changed[0]._meta.app_label}.{kind}.updated",
        fields=fields_changed,
        subject=subject or _own_pk,
        payload=payload,
    )
    for record in changed:
        publish(f"{kind}.updated", workspace_id=record.workspace_id, object_id=record.pk)
    return len(changed)


def _bulk_delete(delete):
    def handler(membership: Membership, rows: list, value, name: str) -> int:
        for record in rows:
            delete(membership, record)
        return len(rows)

    return handler


OWNER_REFUSED = gettext_lazy("Choose a member of this workspace as the owner.")


def _own_pk(record):
    return record.pk  # a contact's or company's audit detail goes under its own key


def _visible(model):
    def queryset(membership: Membership, action: str):
        rows = model.objects.visible_to(membership)
        if model is Contact and action == "delete":
            rows = rows.prefetch_related("emails", "phones")
        return rows

    return queryset


CONTACT_BULK = bulk.Bulk(
    app="contacts",
    require=True,
    queryset=_visible(Contact),
    handlers={
        "owner": bulk.reassigning(
            field="owner", event="contact.updated", message=OWNER_REFUSED, subject=_own_pk
        ),
        "tag_add": bulk_tags(add=True),
        "tag_remove": bulk_tags(add=False),
        "stage": _bulk_stage,
        "delete": _bulk_delete(lambda m, contact: contact_delete(membership=m, contact=contact)),
    },
)
COMPANY_BULK = bulk.Bulk(
    app="companies",
    require=True,
    queryset=_visible(Company),
    handlers={
        "owner": bulk.reassigning(
            field="owner", event="company.updated", message=OWNER_REFUSED, subject=_own_pk
        ),
        "tag_add": bulk_tags(add=True),
        "tag_remove": bulk_tags(add=False),
        "delete": _bulk_delete(lambda m, company: company_delete(membership=m, company=company)),
    },
)


def contact_bulk(*, membership: Membership, ids, action: str, value="") -> int:
    """Apply one action to at most ``anatomy.BULK_LIMIT`` contacts, all or
    nothing (``lists.bulk.run``): every id must be a contact the member sees
    and may change (or delete), restricted contacts' locks included (P7),
    else nothing changes and the refusal says how many are not. One audit
    event per contact, the one a single change records. Returns how many
    were changed."""
    return bulk.run(CONTACT_BULK, membership=membership, ids=ids, action=action, value=value)


def company_bulk(*, membership: Membership, ids, action: str, value="") -> int:
    """``contact_bulk`` for companies: owner, tags, delete."""
    return bulk.run(COMPANY_BULK, membership=membership, ids=ids, action=action, value=value)
