"""Running an import (SPEC §2, §5, P4, P7, P8): a dry run says what each row
would do and writes nothing; the import applies each row whole or reports
it; duplicates by email (existing: skip or update; within the file);
third-party rows without a consent reference refused one by one, with a
receipt record kept for the others; an erased person's address flagged as
the API create flags it; the file destroyed once the import is done."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.models import Company, Contact
from terabox_crm.erasure import services as erasure
from terabox_crm.erasure.tests import world
from terabox_crm.imports import storage
from terabox_crm.imports.report import report_lines
from terabox_crm.imports.tests.helpers import (
    contact_in,
    csv_bytes,
    member_of,
    rows_of,
    run,
    upload,
)
from terabox_crm.privacy import services as privacy
from terabox_crm.privacy.models import ThirdPartyReceipt

pytestmark = pytest.mark.django_db

HEAD = ["姓", "名", "メール", "会社"]


def _contacts(cast) -> list[Contact]:
    with scopes_disabled():
        return list(Contact.objects.filter(workspace=cast.acme).prefetch_related("emails"))


def test_a_dry_run_says_what_each_row_would_do_and_writes_nothing(
    cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager, family="既存", emails=["kizon@example.jp"])
    item = upload(
        manager,
        csv_bytes(
            [
                HEAD,
                ["山田", "花子", "hanako@example.jp", "テラ商事"],
                ["既存", "太郎", "KIZON@example.jp", ""],
                ["山田", "花子", "hanako@example.jp", ""],
                ["", "", "nobody@example.jp", ""],
                ["佐藤", "一郎", "not-an-email", ""],
            ]
        ),
    )
    with scopes_disabled():
        events_before = AuditEvent.objects.filter(action__startswith="contacts.").count()
    done = run(manager, django_capture_on_commit_callbacks, item)
    assert done.status == "checked"
    assert (done.created, done.updated, done.skipped, done.errors) == (1, 0, 2, 2)
    assert rows_of(done) == [
        (2, "create", "", ""),
        (3, "skip", "duplicate_existing", "email"),
        (4, "skip", "duplicate_in_file", "email"),
        (5, "error", "invalid", "family_name"),
        (6, "error", "invalid", "email"),
    ]
    assert len(_contacts(cast)) == 1
    with scopes_disabled():
        assert not Company.objects.filter(workspace=cast.acme).exists()
        assert AuditEvent.objects.filter(action__startswith="contacts.").count() == events_before
        assert AuditEvent.objects.filter(action="imports.import.checked").count() == 1
    # The file stays for the real run.
    assert storage.path_of(item.pk).exists()


def test_the_import_applies_each_row_whole_or_reports_it(cast, django_capture_on_commit_callbacks):
    manager = member_of(cast.acme, cast.manager)
    item = upload(
        manager,
        csv_bytes(
            [
                HEAD,
                ["山田", "花子", "hanako@example.jp", "テラ商事"],
                ["佐藤", "一郎", "bad address", "新会社"],
                ["鈴木", "次郎", "jiro@example.jp", "テラ商事"],
            ]
        ),
    )
    done = run(manager, django_capture_on_commit_callbacks, item, dry_run=False)
    assert (done.status, done.created, done.errors) == ("done", 2, 1)
    names = sorted(c.family_name for c in _contacts(cast))
    assert names == ["山田", "鈴木"]
    with scopes_disabled():
        # The failed row's company was rolled back with it; the other one is shared.
        assert [c.name for c in Company.objects.filter(workspace=cast.acme)] == ["テラ商事"]
        assert len({c.company_id for c in _contacts(cast)}) == 1
        finished = AuditEvent.objects.get(action="imports.import.finished")
    assert finished.payload["created"] == 2 and finished.payload["errors"] == 1
    assert not storage.path_of(item.pk).exists() and done.key_id == ""


def test_an_existing_contact_is_updated_when_the_member_chooses_it(
    cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    existing = contact_in(manager, family="既存", given="", emails=["kizon@example.jp"])
    item = upload(
        manager,
        csv_bytes(
            [["姓", "名", "メール", "電話"], ["既存", "太郎", "kizon@example.jp", "090-1111-2222"]]
        ),
    )
    done = run(
        manager, django_capture_on_commit_callbacks, item, dry_run=False, on_duplicate="update"
    )
    assert (done.created, done.updated) == (0, 1)
    assert rows_of(done) == [(2, "update", "", "")]
    with scopes_disabled():
        contact = Contact.objects.get(pk=existing.pk)
        assert contact.given_name == "太郎"
        assert [p.value for p in contact.phones.all()] == ["+819011112222"]


def test_a_restricted_contact_is_not_updated_by_an_import(cast, django_capture_on_commit_callbacks):
    manager = member_of(cast.acme, cast.manager)
    existing = contact_in(manager, family="制限", emails=["seigen@example.jp"])
    officer = world.privacy_officer(cast)
    with scope(workspace=cast.acme):
        privacy.restriction_set(
            membership=officer, subject_id=existing.pk, reason="asked", requested_by="the person"
        )
    item = upload(manager, csv_bytes([["姓", "メール"], ["変更", "seigen@example.jp"]]))
    done = run(
        manager, django_capture_on_commit_callbacks, item, dry_run=False, on_duplicate="update"
    )
    assert rows_of(done) == [(2, "error", "restricted", "")]
    with scopes_disabled():
        assert Contact.objects.get(pk=existing.pk).family_name == "制限"


RECEIPT = {"provider": "Partner KK", "obtained_how": "their seminar sign-up form"}


def test_third_party_rows_without_a_consent_reference_are_refused_one_by_one(
    cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    item = upload(
        manager,
        csv_bytes(
            [
                ["姓", "メール", "同意者", "同意日", "同意の証跡"],
                ["同意", "doui@example.jp", "本人", "2026/04/01", "seminar form #12"],
                ["無同意", "nashi@example.jp", "", "", ""],
                ["未来", "mirai@example.jp", "本人", "2999-01-01", "form"],
            ]
        ),
    )
    done = run(
        manager,
        django_capture_on_commit_callbacks,
        item,
        dry_run=False,
        source="third_party",
        receipt=RECEIPT,
    )
    assert rows_of(done) == [
        (2, "create", "", ""),
        (3, "error", "consent_reference_required", "consent_by"),
        (4, "error", "future_date", "consent_at"),
    ]
    [contact] = _contacts(cast)
    assert contact.source == "third_party"
    with scopes_disabled():
        receipt = ThirdPartyReceipt.objects.get(workspace=cast.acme)
        assert receipt.subject_id == contact.pk
        assert receipt.provider == "Partner KK"
        assert str(receipt.consent_at) == "2026-04-01"


def test_a_consent_reference_for_the_whole_file_covers_every_row(
    cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    item = upload(
        manager, csv_bytes([["姓", "メール"], ["一", "a@example.jp"], ["二", "b@example.jp"]])
    )
    done = run(
        manager,
        django_capture_on_commit_callbacks,
        item,
        dry_run=False,
        source="third_party",
        receipt={
            **RECEIPT,
            "consent_by": "each person",
            "consent_at": "2026-03-01",
            "consent_evidence": "signed list",
        },
    )
    assert (done.created, done.errors) == (2, 0)
    with scopes_disabled():
        assert ThirdPartyReceipt.objects.filter(workspace=cast.acme).count() == 2


def test_a_third_party_import_names_the_provider_up_front(cast):
    from terabox_crm.imports import services
    from terabox_crm.refusals import Refusal

    manager = member_of(cast.acme, cast.manager)
    item = upload(manager, csv_bytes([["姓"], ["一"]]))
    with pytest.raises(Refusal) as refused:
        services.import_start(
            membership=manager, import_id=item.pk, source="third_party", receipt={}
        )
    assert refused.value.field == "provider"


def test_an_erased_persons_address_is_flagged_as_the_api_create_flags_it(
    cast, django_capture_on_commit_callbacks
):
    person = world.make_person(cast)
    with scope(workspace=cast.acme):
        erasure.subject_erase(membership=person.officer, subject_id=person.contact.pk, reason="x")
    manager = member_of(cast.acme, cast.manager)
    item = upload(
        manager,
        csv_bytes([["姓", "メール"], ["戻り", world.EMAIL.upper()], ["別", "x@example.jp"]]),
    )
    checked = run(manager, django_capture_on_commit_callbacks, item)
    assert checked.flagged == 1
    done = run(manager, django_capture_on_commit_callbacks, item, dry_run=False)
    assert (done.created, done.flagged) == (2, 1)
    with scopes_disabled():
        [row] = done.rows.filter(suppressed=True)
        assert row.number == 2
        event = AuditEvent.objects.get(action="privacy.suppression.matched")
        assert event.object_id == str(row.object_id)


def test_the_report_holds_row_numbers_and_reasons_but_no_value_of_the_file(
    cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    item = upload(
        manager,
        csv_bytes(
            [
                HEAD,
                ["秘密", "値", "secret-value", "秘密会社"],
                ["", "", "", ""],
                ["秘密", "二", "zzz", ""],
            ]
        ),
    )
    done = run(manager, django_capture_on_commit_callbacks, item)
    with scopes_disabled():
        text = "".join(report_lines(done))
    assert "秘密" not in text and "secret-value" not in text and "zzz" not in text
    lines = text.strip().splitlines()
    assert lines[0].lstrip("\ufeff").split(",")[0] in ("Row", "行")
    assert [line.split(",")[0] for line in lines[1:]] == ["2", "4"]
