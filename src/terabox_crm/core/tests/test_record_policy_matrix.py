"""The policy knows every object rule (S6): for each of the six owned record
types, each role (and a member holding both capabilities), both record
visibility settings, and a record of one's own, a teammate's, another team's
and — for tasks and tickets — another team's record assigned to one, the
policy's answer for read, change and delete is

* the answer decided here (``expected``), and
* what the code acts on: ``Model.objects.visible_to`` and
  ``records.find_readable`` for read, the service call for change and delete
  (a refusal with status 403, or the write going through).

So a rule kept in a service and not in the policy (or the other way round)
fails here. The records are made once per module; each test's writes roll back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services as activity_services
from terabox_crm.activities.models import Activity, Task
from terabox_crm.contacts import services as contact_services
from terabox_crm.contacts.models import Company, Contact
from terabox_crm.core import policy, records
from terabox_crm.core.models import Membership, OwnedRecord, RecordVisibility, Team
from terabox_crm.core.roles import Role
from terabox_crm.deals import services as deal_services
from terabox_crm.deals.models import Deal
from terabox_crm.deals.tests.factories import make_pipeline
from terabox_crm.refusals import Refusal
from terabox_crm.support import services as support_services
from terabox_crm.support.models import Status, Ticket
from terabox_crm.testing import factories

# The actors, all in the red team: each role, and a member who is also
# privacy officer and auditor (capabilities grant nothing on records).
ACTORS = ("owner", "admin", "manager", "member", "viewer", "member+capabilities")
MODES = (RecordVisibility.WORKSPACE, RecordVisibility.TEAM)
# own: owned by the actor, red team; teammate: owned by a red colleague;
# other_team: owned by someone of the blue team; assigned: another team's
# task or ticket whose assignee is the actor.
RELATIONS = ("own", "teammate", "other_team", "assigned")
MODELS = (Company, Contact, Deal, Activity, Task, Ticket)

# The policy action for read, change and delete of each record type (None:
# the type has no such action; tasks and tickets are closed, not deleted).
ACTIONS = {
    Company: ("companies.view", "companies.change", "companies.delete"),
    Contact: ("contacts.view", "contacts.change", "contacts.delete"),
    Deal: ("deals.view", "deals.change", "deals.delete"),
    Activity: ("activities.view", "activities.change", "activities.change"),
    Task: ("activities.view", "activities.change", None),
    Ticket: ("tickets.view", "tickets.change", None),
}


def expected(model, actor: str, mode: str, relation: str, verb: str) -> bool:
    """The rule of the product (SPEC record visibility, S6), written out."""
    role = actor.split("+")[0]
    if role in (Role.OWNER, Role.ADMIN):
        return True
    if verb == "read":
        return mode == RecordVisibility.WORKSPACE or relation != "other_team"
    if relation == "assigned":
        # A task is its assignee's to complete, even a viewer's; a ticket is
        # answered from member up.
        return model is Task or role != Role.VIEWER
    return role != Role.VIEWER and relation != "other_team"


def _cases() -> list:
    cases = []
    for model in MODELS:
        for actor in ACTORS:
            for mode in MODES:
                for relation in RELATIONS:
                    if relation == "assigned" and not model.assignee_reads:
                        continue
                    cases.append(
                        pytest.param(
                            model,
                            actor,
                            mode,
                            relation,
                            id=f"{model._meta.model_name}-{actor}-{mode}-{relation}",
                        )
                    )
    return cases


def _make(model, ws, pipeline, *, owner, team, assignee):
    now = timezone.now()
    common = {"workspace": ws, "owner": owner, "team": team}
    if model is Company:
        return Company.objects.create(name="Matrix Co", **common)
    if model is Contact:
        return Contact.objects.create(family_name="Matrix", given_name="Person", **common)
    if model is Deal:
        stage = pipeline.stages.order_by("position").first()
        return Deal.objects.create(name="Matrix deal", pipeline=pipeline, stage=stage, **common)
    if model is Activity:
        return Activity.objects.create(subject="Call", occurred_at=now, **common)
    if model is Task:
        return Task.objects.create(
            title="Follow up", due_at=now + timedelta(days=1), assignee=assignee, **common
        )
    number = Ticket.objects.filter(workspace=ws).count() + 1
    deadlines = Ticket.deadlines("normal", now)
    return Ticket.objects.create(
        number=number,
        subject="Help",
        assignee=assignee,
        first_response_due_at=deadlines[0],
        resolution_due_at=deadlines[1],
        **common,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One workspace with a red and a blue team, the actors, and every record
    the matrix asks about, made once and rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        ws = factories.make_workspace("Matrix")
        red = Team.objects.create(workspace=ws, name="Red")
        blue = Team.objects.create(workspace=ws, name="Blue")
        users = {}
        for actor in ACTORS:
            role = actor.split("+")[0]
            user = factories.make_user(f"{actor.replace('+', '.')}@matrix.example")
            extra = {"is_privacy_officer": True, "is_auditor": True} if "+" in actor else {}
            factories.add_member(ws, user, role, team=red, **extra)
            users[actor] = user
        teammate = factories.make_user("teammate@matrix.example")
        factories.add_member(ws, teammate, Role.MEMBER, team=red)
        stranger = factories.make_user("stranger@matrix.example")
        factories.add_member(ws, stranger, Role.MEMBER, team=blue)
        pipeline = make_pipeline(ws, users["owner"])
        made = {}
        with scope(workspace=ws):
            for model in MODELS:
                shared = {
                    "teammate": _make(
                        model, ws, pipeline, owner=teammate, team=red, assignee=teammate
                    ),
                    "other_team": _make(
                        model, ws, pipeline, owner=stranger, team=blue, assignee=stranger
                    ),
                }
                for actor, user in users.items():
                    made[model, actor, "own"] = _make(
                        model, ws, pipeline, owner=user, team=red, assignee=teammate
                    )
                    made[model, actor, "teammate"] = shared["teammate"]
                    made[model, actor, "other_team"] = shared["other_team"]
                    if model.assignee_reads:
                        made[model, actor, "assigned"] = _make(
                            model, ws, pipeline, owner=stranger, team=blue, assignee=user
                        )
        elsewhere = factories.make_workspace("Elsewhere")
        outsider = factories.make_user("outsider@elsewhere.example")
        factories.add_member(elsewhere, outsider, Role.OWNER)
        yield {"workspace": ws, "users": users, "records": made, "outsider": outsider}
        transaction.set_rollback(True)


def _membership(world, actor: str, mode: str) -> Membership:
    ws = world["workspace"]
    type(ws).objects.filter(pk=ws.pk).update(record_visibility=mode)
    with scopes_disabled():
        return Membership.objects.select_related("workspace", "user").get(
            workspace=ws, user=world["users"][actor]
        )


def _fresh(record):
    with scopes_disabled():
        return type(record).objects.select_related("workspace").get(pk=record.pk)


def _change(membership, record) -> None:
    if isinstance(record, Company):
        data = contact_services.company_data_of(record)
        contact_services.company_update(membership=membership, company=record, data=data)
    elif isinstance(record, Contact):
        data = contact_services.contact_data_of(record)
        contact_services.contact_update(membership=membership, contact=record, data=data)
    elif isinstance(record, Deal):
        deal_services.deal_move(membership=membership, deal=record, stage=record.stage)
    elif isinstance(record, Activity):
        activity_services.activity_delete(membership=membership, activity=record)
    elif isinstance(record, Task):
        activity_services.task_set_done(membership=membership, task=record, done=True)
    else:
        support_services.ticket_set_status(membership=membership, ticket=record, status=Status.OPEN)


def _delete(membership, record) -> None:
    if isinstance(record, Company):
        contact_services.company_delete(membership=membership, company=record)
    elif isinstance(record, Contact):
        contact_services.contact_delete(membership=membership, contact=record)
    elif isinstance(record, Deal):
        deal_services.deal_delete(membership=membership, deal=record)
    else:
        activity_services.activity_delete(membership=membership, activity=record)


def _service_allows(write, membership, record) -> bool:
    """Whether the service does the write (True) or refuses it as forbidden (False)."""
    try:
        with transaction.atomic(), scope(workspace=membership.workspace):
            write(membership, _fresh(record))
            transaction.set_rollback(True)  # the next verb sees the record as it was
    except Refusal as refusal:
        assert refusal.status == 403, (refusal.code, refusal.status)
        return False
    return True


def test_every_owned_record_type_is_in_the_matrix():
    from django.apps import apps

    owned = {m for m in apps.get_models() if issubclass(m, OwnedRecord)}
    assert owned == set(MODELS)


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "actor", "mode", "relation"), _cases())
def test_policy_and_services_agree(world, model, actor, mode, relation):
    membership = _membership(world, actor, mode)
    record = _fresh(world["records"][model, actor, relation])
    read, change, delete = ACTIONS[model]

    may_read = expected(model, actor, mode, relation, "read")
    assert policy.can(membership, read, record) is may_read
    with scope(workspace=membership.workspace):
        assert model.objects.visible_to(membership).filter(pk=record.pk).exists() is may_read
    assert (records.find_readable(membership, model, record.pk) is not None) is may_read

    may_change = expected(model, actor, mode, relation, "change")
    assert policy.can(membership, change, record) is may_change
    assert _service_allows(_change, membership, record) is may_change

    if delete is None:
        # No delete for this type at all: if one is added, the matrix must learn it.
        app = read.split(".")[0]
        assert not [a for a in policy.permissions() if a.startswith(f"{app}.") and "delete" in a]
        return
    may_delete = expected(model, actor, mode, relation, "delete")
    assert policy.can(membership, delete, record) is may_delete
    assert _service_allows(_delete, membership, record) is may_delete


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_an_owner_of_another_workspace_reads_none_of_them_even_unscoped(world, model):
    with scopes_disabled():
        outsider = Membership.objects.select_related("workspace").get(user=world["outsider"])
        assert not model.objects.visible_to(outsider).exists()
    record = world["records"][model, "owner", "own"]
    assert records.find_readable(outsider, model, record.pk) is None
    assert not any(policy.can(outsider, action, record) for action in ACTIONS[model] if action)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_a_scoped_read_names_the_workspace_once(world, model):
    """The scope already keeps to the workspace; naming it again made SQLite
    choose a worse index for the ticket queue."""
    membership = _membership(world, "member", RecordVisibility.TEAM)
    with scope(workspace=membership.workspace):
        sql = str(model.objects.visible_to(membership).query)
    assert sql.count(f'"{model._meta.db_table}"."workspace_id" =') == 1
