"""``serve --demo``: the demo workspace, its people, and the owner's one-time password."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django_scopes import scopes_disabled

from terabox_crm.accounts.models import User
from terabox_crm.audit.models import AuditEvent
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.ops import demo

pytestmark = pytest.mark.django_db


def demo_workspace() -> Workspace:
    return demo.demo_workspace(User.objects.get_by_email(demo.OWNER_EMAIL))


def memberships():
    with scopes_disabled():
        workspace = demo_workspace()
        return {
            m.user.email: m
            for m in Membership.objects.filter(workspace=workspace).select_related("user")
        }


def test_demo_creates_the_workspace_with_an_owner_who_can_sign_in():
    signin = demo.seed_demo()
    assert signin.created
    workspace = demo_workspace()
    assert workspace.name == "Terabox デモ"
    owner = User.objects.get_by_email("demo@example.com")
    assert owner.check_password(signin.password)
    assert memberships()["demo@example.com"].role == Role.OWNER
    # The printed sign-in reaches the privacy officer's screens too.
    assert memberships()["demo@example.com"].is_privacy_officer


def test_demo_colleagues_cover_every_role_below_owner():
    demo.seed_demo()
    roles = {m.role for email, m in memberships().items() if email != demo.OWNER_EMAIL}
    assert roles == {Role.ADMIN, Role.MANAGER, Role.MEMBER, Role.VIEWER}
    people = memberships()
    assert people["sato.kenji@example.jp"].is_privacy_officer
    assert people["suzuki.takumi@example.jp"].is_auditor


def test_demo_colleagues_cannot_sign_in():
    demo.seed_demo()
    colleague = User.objects.get_by_email("emily.clark@example.com")
    assert not colleague.has_usable_password()
    assert colleague.display_name == "Emily Clark"


def test_demo_workspace_requires_two_factor():
    demo.seed_demo()
    assert demo_workspace().mfa_required_for_all


def test_second_start_finds_the_demo_and_gives_a_new_password():
    first = demo.seed_demo()
    second = demo.seed_demo()
    assert not second.created
    assert Workspace.objects.filter(name=demo.WORKSPACE_NAME).count() == 1
    assert len(memberships()) == 1 + len(demo.COLLEAGUES)
    owner = User.objects.get_by_email(demo.OWNER_EMAIL)
    assert second.password != first.password
    assert owner.check_password(second.password)
    assert not owner.check_password(first.password)


def test_demo_password_passes_the_password_policy():
    signin = demo.seed_demo()
    owner = User.objects.get_by_email(demo.OWNER_EMAIL)
    validate_password(signin.password, owner)
    assert len(signin.password) >= 15


def test_demo_password_is_stored_only_as_a_hash():
    signin = demo.seed_demo()
    owner = User.objects.get_by_email(demo.OWNER_EMAIL)
    assert signin.password not in owner.password
    assert owner.password.startswith("argon2")


def test_demo_creation_goes_through_the_owner_service_and_is_audited():
    demo.seed_demo()
    workspace = demo_workspace()
    actions = list(
        AuditEvent.objects.filter(workspace_id=workspace.pk).values_list("action", flat=True)
    )
    assert "core.workspace.created" in actions
    assert actions.count("ops.demo.seeded") == 1


def test_each_new_demo_password_is_audited_in_the_demo_workspace():
    demo.seed_demo()
    demo.seed_demo()
    demo.seed_demo()
    workspace = demo_workspace()
    resets = AuditEvent.objects.filter(workspace_id=workspace.pk, action="ops.demo.password_reset")
    assert resets.count() == 2
    assert not AuditEvent.objects.filter(
        workspace_id=workspace.pk, action="ops.demo.seeded"
    ).exclude(payload__added=len(demo.COLLEAGUES))


def test_owner_display_name_is_set_once():
    demo.seed_demo()
    assert User.objects.get_by_email(demo.OWNER_EMAIL).display_name == demo.OWNER_NAME


def test_a_removed_colleague_comes_back_at_the_next_start():
    demo.seed_demo()
    with scopes_disabled():
        Membership.objects.filter(
            workspace=demo_workspace(), user=User.objects.get_by_email("tanaka.yui@example.jp")
        ).delete()
    demo.seed_demo()
    assert memberships()["tanaka.yui@example.jp"].role == Role.MEMBER


def test_an_existing_owner_account_gets_the_demo_workspace():
    User.objects.create_user(demo.OWNER_EMAIL, "an old password nobody remembers")
    signin = demo.seed_demo()
    assert signin.created
    assert User.objects.get_by_email(demo.OWNER_EMAIL).check_password(signin.password)
    assert memberships()[demo.OWNER_EMAIL].role == Role.OWNER


@pytest.mark.parametrize(
    ("language", "label"),
    [("ja", "デモ用ワークスペースを作成"), ("en", "Demo workspace created")],
)
def test_demo_event_label_is_translated(language, label):
    from django.utils import translation

    from terabox_crm.audit import actions

    with translation.override(language):
        assert str(actions.get("ops.demo.seeded").label) == label


def test_demo_workspace_is_a_living_crm():
    from terabox_crm.activities.models import Activity, Task
    from terabox_crm.contacts.models import Company, Contact
    from terabox_crm.deals.models import Deal, Pipeline
    from terabox_crm.support.models import Ticket

    demo.seed_demo()
    with scopes_disabled():
        workspace = Workspace.objects.get(name=demo.WORKSPACE_NAME)
        counts = {
            model.__name__: model.objects.filter(workspace=workspace).count()
            for model in (Company, Contact, Pipeline, Deal, Activity, Task, Ticket)
        }
        kana = [c.family_name_kana for c in Contact.objects.filter(workspace=workspace)]
    assert counts == {
        "Company": 5,
        "Contact": 8,
        "Pipeline": 2,
        "Deal": 8,
        "Activity": 4,
        "Task": 2,
        "Ticket": 3,
    }
    assert "ヤマダ" in kana


def test_a_second_demo_start_does_not_seed_twice():
    from terabox_crm.deals.models import Deal

    demo.seed_demo()
    demo.seed_demo()
    with scopes_disabled():
        assert Deal.objects.count() == 8
