"""Prefix typeahead on names: a workspace option, off by default (S3, ADR 0005).

Turning it on builds prefix terms for existing contacts and companies with a
resumable batched job; turning it off deletes them. Candidates are compared
after decryption, as with whole-token search.
"""

from __future__ import annotations

import pytest
from django_scopes import scope

from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts import search
from terabox_crm.contacts.models import Company, Contact
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.core import prefix_search, workspaces
from terabox_crm.core.models import Workspace
from terabox_crm.crypto import search_index
from terabox_crm.crypto.models import SearchTerm

PREFIX_DOMAINS = [
    *search_index.prefix_domains(search.CONTACT_NAME),
    *search_index.prefix_domains(search.COMPANY_NAME),
]


def prefix_terms(workspace, object_id=None) -> int:
    rows = SearchTerm.objects.filter(workspace_id=workspace.pk, domain__in=PREFIX_DOMAINS)
    if object_id is not None:
        rows = rows.filter(object_id=object_id)
    return rows.count()


def set_prefix_search(owner, on: bool, capture) -> Workspace:
    workspace = Workspace.objects.get(pk=owner.workspace_id)
    with capture(execute=True):
        workspaces.workspace_update_settings(
            membership=owner,
            name=workspace.name,
            mfa_required_for_all=workspace.mfa_required_for_all,
            name_prefix_search=on,
        )
    return Workspace.objects.get(pk=owner.workspace_id)


def find(membership, query) -> tuple[set, set]:
    """Contacts and companies the typeahead's search finds for ``query``."""
    tokens = search.query_tokens(query)
    ws = membership.workspace_id
    with scope(workspace=membership.workspace):
        contacts = search.matching_prefixes(
            Contact.objects.visible_to(membership), ws, search.CONTACT_NAME, tokens
        )
        companies = search.matching_prefixes(
            Company.objects.visible_to(membership), ws, search.COMPANY_NAME, tokens
        )
        return (
            {c.pk for c in contacts if search.has_prefixes(search.contact_name_tokens(c), tokens)},
            {c.pk for c in companies if search.has_prefixes(search.company_name_tokens(c), tokens)},
        )


@pytest.fixture
def world(cast):
    owner = member_of(cast.acme, cast.owner)
    yamada = make_contact(owner)  # 山田 花子, ヤマダ ハナコ
    smith = make_contact(owner, family="Smith", given="John", family_kana="", given_kana="")
    company = make_company(owner, name="Terabox Systems", name_kana="テラボックス")
    return owner, yamada, smith, company


def test_off_by_default_and_writes_no_prefix_terms(world):
    owner, yamada, _smith, _company = world
    assert Workspace.objects.get(pk=owner.workspace_id).name_prefix_search is False
    assert prefix_terms(owner.workspace) == 0
    assert find(owner, "やま")[0] == set()  # only whole tokens: やまだ is not やま
    assert find(owner, "やまだ")[0] == {yamada.pk}


def test_turning_it_on_builds_terms_for_existing_rows(world, django_capture_on_commit_callbacks):
    owner, yamada, smith, company = world
    workspace = set_prefix_search(owner, True, django_capture_on_commit_callbacks)
    assert workspace.name_prefix_progress["done"] is True
    assert workspace.name_prefix_progress["rows"] == 3
    assert prefix_terms(owner.workspace, yamada.pk) > 0
    assert prefix_terms(owner.workspace, company.pk) > 0
    assert find(owner, "やま")[0] == {yamada.pk}
    assert find(owner, "ヤマ")[0] == {yamada.pk}  # katakana typed, folded like the index
    assert find(owner, "smi")[0] == {smith.pk}
    assert find(owner, "SMI jo")[0] == set()  # "jo" is too short to be a prefix
    assert find(owner, "smi john")[0] == {smith.pk}
    assert find(owner, "tera")[1] == {company.pk}
    assert find(owner, "てら")[1] == {company.pk}
    [built] = AuditEvent.objects.filter(action="crypto.search.prefixes_built")
    assert built.workspace_id == owner.workspace_id
    assert built.payload == {"rows": 3}


def test_rows_saved_while_on_get_prefix_terms(world, django_capture_on_commit_callbacks):
    owner, *_ = world
    set_prefix_search(owner, True, django_capture_on_commit_callbacks)
    suzuki = make_contact(owner, family="鈴木", given="一郎", family_kana="スズキ", given_kana="")
    assert prefix_terms(owner.workspace, suzuki.pk) > 0
    assert find(owner, "すず")[0] == {suzuki.pk}


def test_an_edited_name_replaces_its_prefix_terms(world, django_capture_on_commit_callbacks):
    owner, yamada, _smith, _company = world
    set_prefix_search(owner, True, django_capture_on_commit_callbacks)
    with scope(workspace=owner.workspace):
        yamada.family_name_kana = "タナカ"
        yamada.save()
        search.index_contact(yamada, emails=[], phones=[])
    assert find(owner, "やま")[0] == set()
    assert find(owner, "たな")[0] == {yamada.pk}


def test_turning_it_off_deletes_every_prefix_term(world, django_capture_on_commit_callbacks):
    owner, yamada, _smith, _company = world
    set_prefix_search(owner, True, django_capture_on_commit_callbacks)
    built = prefix_terms(owner.workspace)
    assert built > 0
    workspace = set_prefix_search(owner, False, django_capture_on_commit_callbacks)
    assert workspace.name_prefix_search is False
    assert workspace.name_prefix_progress["done"] is True
    assert prefix_terms(owner.workspace) == 0
    assert find(owner, "やま")[0] == set()
    assert find(owner, "やまだ")[0] == {yamada.pk}  # whole-token terms stay
    [deleted] = AuditEvent.objects.filter(action="crypto.search.prefixes_deleted")
    assert deleted.payload == {"terms": built}
    # Saved while off: no prefix terms again.
    make_contact(owner, family="Smithers", given="Wayland", family_kana="", given_kana="")
    assert prefix_terms(owner.workspace) == 0


def test_other_workspaces_keep_their_own_terms(world, cast, django_capture_on_commit_callbacks):
    owner, *_ = world
    globex = member_of(cast.globex, cast.outsider)
    set_prefix_search(globex, True, django_capture_on_commit_callbacks)
    foreign = make_contact(globex)
    set_prefix_search(owner, True, django_capture_on_commit_callbacks)
    set_prefix_search(owner, False, django_capture_on_commit_callbacks)
    assert prefix_terms(cast.globex, foreign.pk) > 0
    assert foreign.pk not in find(owner, "やま")[0]


def test_the_job_resumes_after_the_last_committed_batch(world):
    owner, yamada, smith, company = world
    more = [
        make_contact(owner, family=f"Person{n}", given="Test", family_kana="", given_kana="")
        for n in range(4)
    ]
    # The setting as the service leaves it, before its job ran (a worker crashed).
    Workspace.objects.filter(pk=owner.workspace_id).update(
        name_prefix_search=True, name_prefix_progress={"done": False}
    )
    assert prefix_search.sync_prefixes(owner.workspace_id, batch_size=2, max_batches=2) is False
    progress = Workspace.objects.get(pk=owner.workspace_id).name_prefix_progress
    assert progress["done"] is False
    assert progress["sources"]["contacts.company"]["done"] is True
    assert progress["rows"] == 3  # one company, then two contacts
    with_terms = {row.pk for row in [yamada, smith, *more] if prefix_terms(owner.workspace, row.pk)}
    assert len(with_terms) == 2
    # A second run (the periodic task, a restarted worker) finishes the rest.
    assert prefix_search.sync_prefixes(owner.workspace_id, batch_size=2) is True
    progress = Workspace.objects.get(pk=owner.workspace_id).name_prefix_progress
    assert progress["rows"] == 7
    for row in [yamada, smith, company, *more]:
        assert prefix_terms(owner.workspace, row.pk) > 0
    # Idempotent: running again writes nothing twice.
    before = prefix_terms(owner.workspace)
    Workspace.objects.filter(pk=owner.workspace_id).update(name_prefix_progress={"done": False})
    assert prefix_search.sync_prefixes(owner.workspace_id) is True
    assert prefix_terms(owner.workspace) == before


def test_a_stalled_job_is_picked_up_by_the_periodic_task(world):
    from datetime import timedelta

    from django.utils import timezone

    owner, yamada, *_ = world
    long_ago = timezone.now() - timedelta(hours=1)
    Workspace.objects.filter(pk=owner.workspace_id).update(
        name_prefix_search=True,
        name_prefix_progress={"done": False, "at": long_ago.isoformat()},
        name_prefix_changed_at=long_ago,
    )
    assert prefix_search.resume_stalled() == 1
    assert prefix_terms(owner.workspace, yamada.pk) > 0
    assert prefix_search.resume_stalled() == 0


def test_a_batch_whose_setting_changed_meanwhile_is_not_kept(world, monkeypatch):
    owner, *_ = world
    Workspace.objects.filter(pk=owner.workspace_id).update(
        name_prefix_search=True, name_prefix_progress={"done": False}
    )
    real = prefix_search._build_batch

    def setting_changes_during_the_batch(workspace_id, progress, batch_size):
        more = real(workspace_id, progress, batch_size)
        assert prefix_terms(owner.workspace) > 0
        Workspace.objects.filter(pk=workspace_id).update(
            name_prefix_changed_at="2026-01-01T00:00:00Z"
        )
        return more

    monkeypatch.setattr(prefix_search, "_build_batch", setting_changes_during_the_batch)
    assert prefix_search.sync_prefixes(owner.workspace_id) is False
    # The batch's terms and progress went with the rolled-back transaction.
    assert prefix_terms(owner.workspace) == 0
    assert Workspace.objects.get(pk=owner.workspace_id).name_prefix_progress == {"done": False}


def test_false_positives_of_truncated_terms_never_match(world, monkeypatch, cast):
    # Every prefix collides: all rows are candidates, the plaintext check decides.
    monkeypatch.setattr(search_index, "term", lambda workspace_id, domain, value: 0)
    owner, yamada, smith, company = world
    Workspace.objects.filter(pk=owner.workspace_id).update(
        name_prefix_search=True, name_prefix_progress={"done": False}
    )
    assert prefix_search.sync_prefixes(owner.workspace_id) is True
    assert find(owner, "smi") == ({smith.pk}, set())
    assert find(owner, "やま") == ({yamada.pk}, set())
    assert find(owner, "てら") == (set(), {company.pk})


def test_the_search_page_finds_by_prefix_only_when_it_is_on(
    world, client, cast, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from terabox_crm.testing.auth import login

    owner, _yamada, _smith, _company = world
    login(client, cast.owner)
    url = reverse("contacts:search")
    off = client.get(url, {"q": "smi"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Smith" not in off
    set_prefix_search(owner, True, django_capture_on_commit_callbacks)
    on = client.get(url, {"q": "smi"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Smith" in on
    assert "山田" in client.get(url, {"q": "やま"}).content.decode()
