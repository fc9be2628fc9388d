"""Links and user ids seen from outside, against the real server (S6, S7).

One server for the module, on a data dir seeded through ``terabox-crm
manage shell``: Acme reads records by team; its member holds an API token;
the admin owns a contact the member may not read; Globex has an outsider.
Over HTTPS, with the member's token: an unknown user id and the outsider's
get the same answer on every endpoint that takes a user id, a contact the
member may not read is refused exactly like one that does not exist, and a
run of foreign user ids shows up among the security events.
"""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from serving import COMMAND, Served, clean_env

pytestmark = pytest.mark.slow

PASSWORD = "a long owner passphrase 2026"
MARK = "SEEDED:"

SEED = """
import json
from django_scopes import scope, scopes_disabled
from terabox_crm.api import services as tokens
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.core.models import RecordVisibility, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.deals.tests.factories import make_pipeline, stage_named
from terabox_crm.testing import factories

with scopes_disabled():
    acme = Workspace.objects.get(name="Acme")
acme.record_visibility = RecordVisibility.TEAM
acme.save(update_fields=["record_visibility"])
acme_owner = factories.User.objects.find_by_email("owner@acme.example")
owner = member_of(acme, acme_owner)
member = factories.make_user("member@acme.example")
factories.add_member(acme, member, Role.MEMBER)
admin = factories.make_user("admin@acme.example")
factories.add_member(acme, admin, Role.ADMIN)
globex = factories.make_workspace("Globex")
outsider = factories.make_user("outsider@globex.example")
factories.add_member(globex, outsider, Role.OWNER)
hidden = make_contact(owner, family="Secretname", given="Person", owner_id=admin.pk)
mine = make_contact(member_of(acme, member), family="Visible", given="Person")
stage = stage_named(make_pipeline(acme, acme_owner), "Lead")
with scope(workspace=acme):
    member_token = tokens.token_create(
        membership=member_of(acme, member), name="outside", scopes="read,write"
    ).secret
    owner_token = tokens.token_create(membership=owner, name="outside", scopes="read").secret
print("SEEDED:" + json.dumps({
    "member_token": member_token,
    "owner_token": owner_token,
    "stage": str(stage.pk),
    "hidden_contact": str(hidden.pk),
    "mine_contact": str(mine.pk),
    "outsider": str(outsider.pk),
    "admin": str(admin.pk),
}))
"""


def _run(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COMMAND, *args], env=env, input=stdin, capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    directory = tmp_path_factory.mktemp("links")
    env = clean_env(directory, CRM_PASSWORD=PASSWORD, LANG="C.UTF-8")
    created = _run(env, "createowner", "--email", "owner@acme.example", "--workspace", "Acme")
    assert created.returncode == 0, created.stdout + created.stderr
    seeded = _run(env, "manage", "shell", "-c", SEED)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    line = next(line for line in seeded.stdout.splitlines() if line.startswith(MARK))
    ids = json.loads(line.removeprefix(MARK))
    served = Served(directory, [], clean_env(directory)).wait_ready()
    yield served, ids
    served.kill()


def _post(served, token: str, path: str, body: dict):
    with served.client() as client:
        return client.post(
            path,
            json=body,
            headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        )


def _user_id_bodies(ids) -> dict:
    return {
        "/api/v1/deals/": ({"name": "Outside deal", "stage": ids["stage"]}, "owner"),
        "/api/v1/tasks/": (
            {"title": "Outside task", "due_at": "2026-12-01T10:00:00+09:00"},
            "assignee",
        ),
        "/api/v1/tickets/": ({"subject": "Outside ticket"}, "assignee"),
        "/api/v1/contacts/": ({"family_name": "Outside"}, "owner_id"),
        "/api/v1/companies/": ({"name": "Outside Co"}, "owner_id"),
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/deals/",
        "/api/v1/tasks/",
        "/api/v1/tickets/",
        "/api/v1/contacts/",
        "/api/v1/companies/",
    ],
)
def test_an_unknown_user_id_and_an_outsiders_get_the_same_answer(world, path):
    served, ids = world
    body, field = _user_id_bodies(ids)[path]
    unknown = _post(served, ids["member_token"], path, {**body, field: str(uuid.uuid4())})
    outsider = _post(served, ids["member_token"], path, {**body, field: ids["outsider"]})
    assert unknown.status_code == outsider.status_code == 400
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json() == outsider.json()
    assert unknown.json()["errors"] == {field: ["Choose a member of this workspace."]}


def test_a_member_is_accepted_as_the_owner_of_a_deal(world):
    served, ids = world
    response = _post(
        served, ids["member_token"], "/api/v1/deals/",
        {"name": "Admin's deal", "stage": ids["stage"], "owner": ids["admin"]},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["owner"] == ids["admin"]


def test_a_contact_the_member_may_not_read_is_refused_like_one_that_does_not_exist(world):
    served, ids = world
    deal = {"name": "Linked deal", "stage": ids["stage"]}
    hidden = _post(served, ids["member_token"], "/api/v1/deals/", {**deal, "contact": ids["hidden_contact"]})  # fmt: skip
    unknown = _post(served, ids["member_token"], "/api/v1/deals/", {**deal, "contact": str(uuid.uuid4())})  # fmt: skip
    assert hidden.status_code == unknown.status_code == 400
    assert hidden.json() == unknown.json()
    assert "Secretname" not in hidden.text


def test_a_contact_the_member_may_read_is_linked(world):
    served, ids = world
    response = _post(
        served, ids["member_token"], "/api/v1/deals/",
        {"name": "Linked deal", "stage": ids["stage"], "contact": ids["mine_contact"]},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["contact"] == ids["mine_contact"]


def _security_events(served, ids) -> list[dict]:
    with served.client() as client:
        response = client.get(
            "/api/v1/security-events/",
            headers={"Authorization": f"Bearer {ids['owner_token']}"},
        )
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_repeated_foreign_user_ids_show_up_among_the_security_events(world):
    served, ids = world
    # Enough attempts for the threshold (5 per actor) to be passed even if the
    # server spreads requests over several processes with their own caches.
    for _attempt in range(20):
        _post(
            served, ids["member_token"], "/api/v1/tickets/",
            {"subject": "Probe", "assignee": ids["outsider"]},
        )  # fmt: skip
    actions = [event["action"] for event in _security_events(served, ids)]
    assert "security.request.foreign_user_id" in actions


def test_a_refused_link_shows_up_among_the_security_events(world):
    served, ids = world
    _post(
        served, ids["member_token"], "/api/v1/tasks/",
        {"title": "Probe", "due_at": "2026-12-01T10:00:00+09:00", "contact": ids["hidden_contact"]},
    )  # fmt: skip
    refused = [
        event
        for event in _security_events(served, ids)
        if event["action"] == "security.permission.denied"
        and event["payload"].get("reason") == "unreadable_link"
    ]
    assert ids["hidden_contact"] in {event["object_id"] for event in refused}
