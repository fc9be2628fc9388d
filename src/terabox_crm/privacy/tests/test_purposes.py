"""Purposes (P2): the built-in ones in every workspace, admins' own."""

import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.inventory import Purpose as InventoryPurpose
from terabox_crm.privacy import services
from terabox_crm.privacy.models import LawfulBasis, Purpose
from terabox_crm.privacy.tests.support import member_of
from terabox_crm.refusals import Refusal


def test_every_new_workspace_starts_with_the_policy_purposes(cast):
    with scopes_disabled():
        codes = set(Purpose.objects.filter(workspace=cast.acme).values_list("code", flat=True))
        assert codes == set(InventoryPurpose.values)
        support = Purpose.objects.get(workspace=cast.acme, code="support")
    assert support.builtin and support.name_ja == "製品・サービスのサポート"
    assert support.name_en == "Product and service support"


def test_the_lawful_basis_decides_whether_consent_is_needed(cast):
    with scopes_disabled():
        purposes = {p.code: p for p in Purpose.objects.filter(workspace=cast.acme)}
    assert purposes["communication"].needs_consent
    assert not purposes["support"].needs_consent
    assert purposes["legal"].overrides_restriction
    assert not purposes["security"].overrides_restriction


def test_the_data_migration_fills_existing_workspaces(cast):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("terabox_crm.privacy.migrations.0002_builtin_purposes")
    with scopes_disabled():
        Purpose.objects.filter(workspace=cast.globex).delete()
        migration.add_builtin(apps, connection.schema_editor())
        migration.add_builtin(apps, connection.schema_editor())  # idempotent
        assert Purpose.objects.filter(workspace=cast.globex).count() == len(InventoryPurpose.values)


def test_an_admin_adds_a_purpose_and_it_is_audited(cast):
    admin = member_of(cast.acme, cast.admin)
    with scope(workspace=cast.acme):
        purpose = services.purpose_create(
            membership=admin,
            code="events",
            name_ja="セミナーのご案内",
            name_en="Seminar invitations",
            lawful_basis=LawfulBasis.CONSENT,
        )
    assert purpose.needs_consent and not purpose.builtin
    assert AuditEvent.objects.filter(
        action="privacy.purpose.created", object_id=str(purpose.pk)
    ).exists()


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"code": "Bad Code"}, "invalid_code"),
        ({"code": "support"}, "code_taken"),
        ({"lawful_basis": "vibes"}, "invalid_basis"),
        ({"name_ja": " "}, "name_ja_required"),
    ],
)
def test_bad_purposes_are_refused_and_nothing_changes(cast, values, code):
    admin = member_of(cast.acme, cast.admin)
    data = {
        "code": "events",
        "name_ja": "案内",
        "name_en": "Invitations",
        "lawful_basis": "consent",
    }
    data.update(values)
    with scope(workspace=cast.acme):
        before = Purpose.objects.count()
        with pytest.raises(Refusal) as refused:
            services.purpose_create(membership=admin, **data)
        assert Purpose.objects.count() == before
    assert refused.value.code == code


def test_members_cannot_add_purposes(cast):
    with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
        services.purpose_create(
            membership=member_of(cast.acme, cast.member),
            code="events",
            name_ja="案内",
            name_en="Invitations",
            lawful_basis="consent",
        )
    assert refused.value.status == 403
