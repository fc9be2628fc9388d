"""Services: validation changes nothing, every write is audited with personal
values encrypted, merge keeps emails/phones/tags, events fire after commit."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.auditlog.selectors import present
from terabox_crm.contacts import services
from terabox_crm.contacts.models import Contact, ContactEmail, Tag
from terabox_crm.contacts.services import ContactData, EmailIn, PhoneIn
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.core import bus
from terabox_crm.core.models import Team
from terabox_crm.refusals import Refusal


def _count(cast):
    with scopes_disabled():
        return Contact.objects.count(), ContactEmail.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"emails": [EmailIn("not-an-email")]}, "emails"),
        ({"phones": [PhoneIn("12")]}, "phones"),
        ({"notes": "x" * 20_001}, "notes"),
        ({"stage": "bogus"}, "stage"),
        ({"source": "bogus"}, "source"),
        ({"family_name": "", "given_name": ""}, "family_name"),
        ({"owner_id": "not-a-uuid"}, "owner_id"),
        ({"tag_ids": [str(uuid.uuid4())]}, "tag_ids"),
        ({"team_id": str(uuid.uuid4())}, "team_id"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(cast, changes, field):
    owner = member_of(cast.acme, cast.owner)
    before = _count(cast)
    data = ContactData(family_name="山田", emails=[EmailIn("ok@example.jp")], **{})
    for key, value in changes.items():
        setattr(data, key, value)
    with scope(workspace=cast.acme), pytest.raises(ValidationError) as caught:
        services.contact_create(membership=owner, data=data)
    assert field in caught.value.message_dict
    assert _count(cast) == before


def test_foreign_workspace_ids_are_refused(cast):
    outsider = member_of(cast.globex, cast.outsider)
    foreign_company = make_company(outsider, name="Globex")
    with scope(workspace=cast.globex):
        foreign_tag = Tag.objects.create(workspace=cast.globex, name="vip")
        foreign_team = Team.objects.create(workspace=cast.globex, name="Globex team")
    owner = member_of(cast.acme, cast.owner)
    data = ContactData(
        family_name="山田",
        company_id=foreign_company.pk,
        owner_id=cast.outsider.pk,
        tag_ids=[foreign_tag.pk],
        team_id=foreign_team.pk,
    )
    before = _count(cast)
    with scope(workspace=cast.acme), pytest.raises(ValidationError) as caught:
        services.contact_create(membership=owner, data=data)
    assert set(caught.value.message_dict) == {"company_id", "owner_id", "tag_ids", "team_id"}
    contacts, emails, events_before = before
    # Nothing changed; the one new event is the refused link to another
    # workspace's company, a security event (S7).
    assert _count(cast) == (contacts, emails, events_before + 1)
    with scopes_disabled():
        refused = AuditEvent.objects.get(action="security.permission.denied")
    assert (refused.action, refused.object_id) == (
        "security.permission.denied",
        str(foreign_company.pk),
    )
    assert refused.payload["reason"] == "other_workspace_link"


def test_error_messages_are_translated(cast):
    from django.utils import translation

    owner = member_of(cast.acme, cast.owner)
    data = ContactData(family_name="山田", emails=[EmailIn("nope")])
    with (
        translation.override("ja"),
        scope(workspace=cast.acme),
        pytest.raises(ValidationError) as caught,
    ):
        services.contact_create(membership=owner, data=data)
    assert "有効なメールアドレスではありません" in caught.value.message_dict["emails"][0]


def _events(cast, obj_id):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(object_id=str(obj_id)).order_by("seq"))


def test_create_update_delete_are_audited_without_personal_payload(cast):
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(owner, emails=["hanako@example.jp"])
    with scope(workspace=cast.acme):
        contact = Contact.objects.get(pk=contact.pk)
        data = services.contact_data_of(contact)
        data.given_name = "花"
        data.stage = "customer"
        services.contact_update(membership=owner, contact=contact, data=data)
        services.contact_delete(membership=owner, contact=Contact.objects.get(pk=contact.pk))
    created, updated, deleted = _events(cast, contact.pk)
    assert [e.action for e in (created, updated, deleted)] == [
        "contacts.contact.created",
        "contacts.contact.updated",
        "contacts.contact.deleted",
    ]
    assert updated.payload["fields"] == ["given_name", "stage"]
    for event in (created, updated, deleted):
        assert "花" not in str(event.payload) and "hanako" not in str(event.payload)
    with scopes_disabled():
        entry = present([AuditEvent.objects.select_related("detail").get(pk=updated.pk)])[0]
    assert ("given_name", "花子", "花", None) in entry.personal


def test_member_cannot_change_someone_elses_record(cast):
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(owner)
    member = member_of(cast.acme, cast.member)
    with scope(workspace=cast.acme), pytest.raises(Refusal):
        services.contact_update(
            membership=member, contact=contact, data=services.contact_data_of(contact)
        )


def test_merge_keeps_emails_phones_tags_and_audits_both(cast):
    owner = member_of(cast.acme, cast.owner)
    with scope(workspace=cast.acme):
        vip = Tag.objects.create(workspace=cast.acme, name="vip")
        new = Tag.objects.create(workspace=cast.acme, name="new")
    keep = make_contact(owner, emails=["a@example.jp"], tag_ids=[vip.pk], job_title="")
    away = make_contact(
        owner,
        emails=["b@example.jp", "a@example.jp"],
        phones=["090-1111-2222"],
        tag_ids=[new.pk],
        job_title="課長",
    )
    away_id = away.pk
    with scope(workspace=cast.acme):
        merged = services.contact_merge(membership=owner, keep=keep, merge_away=away)
        merged = Contact.objects.get(pk=merged.pk)
        assert sorted(e.value for e in merged.emails.all()) == ["a@example.jp", "b@example.jp"]
        assert [p.value for p in merged.phones.all()] == ["+819011112222"]
        assert {t.name for t in merged.tags.all()} == {"vip", "new"}
        assert merged.job_title == "課長"
        assert not Contact.objects.filter(pk=away_id).exists()
        from terabox_crm.contacts import selectors

        found = selectors.global_search(owner, "b@example.jp").contacts
        assert [c.pk for c in found] == [keep.pk]
    assert _events(cast, keep.pk)[-1].action == "contacts.contact.merged"
    assert _events(cast, away_id)[-1].payload["kept_id"] == str(keep.pk)


def test_events_are_emitted_after_commit_only(cast, django_capture_on_commit_callbacks):
    seen = []

    def listener(name, workspace_id, object_id):
        seen.append((name, workspace_id, object_id))

    bus.subscribe(listener)
    try:
        owner = member_of(cast.acme, cast.owner)
        with django_capture_on_commit_callbacks(execute=True):
            contact = make_contact(owner)
        assert seen == [("contact.created", str(cast.acme.pk), str(contact.pk))]
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
            make_contact(owner, emails=["bad"])
        assert len(seen) == 1
    finally:
        bus.unsubscribe(listener)


def test_merge_hook_is_called(cast):
    calls = []
    services.register_merge_hook(lambda keep, away, m: calls.append((keep.pk, away.pk)))
    try:
        owner = member_of(cast.acme, cast.owner)
        keep, away = make_contact(owner), make_contact(owner, family="佐藤")
        expected = [(keep.pk, away.pk)]
        with scope(workspace=cast.acme):
            services.contact_merge(membership=owner, keep=keep, merge_away=away)
        assert calls == expected
    finally:
        services._merge_hooks.clear()
