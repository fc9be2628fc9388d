"""The REST API for contacts and companies: CRUD, filters, problem details,
permissions and other workspaces' ids."""

from __future__ import annotations

import uuid

import pytest
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.models import Contact, Tag
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.testing.auth import login

URL = "/api/v1/contacts/"


def _api(client, method, url, data=None, **extra):
    return getattr(client, method)(url, data, content_type="application/json", secure=True, **extra)


def test_crud(client, cast):
    login(client, cast.member)
    created = _api(
        client,
        "post",
        URL,
        {
            "family_name": "山田",
            "given_name": "花子",
            "family_name_kana": "ヤマダ",
            "emails": [{"value": "Hanako@Example.jp", "label": "work"}],
            "phones": [{"value": "03-1234-5678"}],
            "stage": "prospect",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["emails"][0] == {"value": "hanako@example.jp", "label": "work", "is_primary": True}
    assert body["phones"][0]["value"] == "+81312345678"
    assert body["owner_id"] == str(cast.member.pk)
    url = f"{URL}{body['id']}/"
    assert client.get(url, secure=True).json()["family_name"] == "山田"
    patched = _api(client, "patch", url, {"stage": "customer"})
    assert patched.status_code == 200 and patched.json()["stage"] == "customer"
    assert patched.json()["emails"][0]["value"] == "hanako@example.jp"  # untouched
    listed = client.get(URL, secure=True).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert _api(client, "delete", url).status_code == 204
    with scopes_disabled():
        assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"family_name": "X", "emails": [{"value": "nope"}]}, "emails"),
        ({"family_name": "X", "phones": [{"value": "12"}]}, "phones"),
        ({"family_name": "X", "stage": "won"}, "stage"),
        ({"family_name": "X", "notes": "x" * 20_001}, "notes"),
        ({"family_name": "X", "company_id": str(uuid.uuid4())}, "company_id"),
    ],
)
def test_bad_input_is_a_problem_and_changes_nothing(client, cast, payload, field):
    login(client, cast.member)
    response = _api(client, "post", URL, payload)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/validation") and field in problem["errors"]
    with scopes_disabled():
        assert not Contact.objects.exists()


def test_filters(client, cast):
    owner = member_of(cast.acme, cast.owner)
    company = make_company(owner, name="Acme Co")
    with scope(workspace=cast.acme):
        vip = Tag.objects.create(workspace=cast.acme, name="vip")
    a = make_contact(
        owner,
        emails=["a@example.jp"],
        phones=["0311112222"],
        company_id=company.pk,
        tag_ids=[vip.pk],
        stage="customer",
    )
    b = make_contact(owner, family="鈴木", given="一郎", emails=["b@example.jp"])
    login(client, cast.viewer)

    def ids(query):
        response = client.get(URL + query, secure=True)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("?email=A@EXAMPLE.JP") == {str(a.pk)}
    assert ids("?phone=%2B81311112222") == {str(a.pk)}
    assert ids("?stage=customer") == {str(a.pk)}
    assert ids(f"?tag={vip.pk}") == {str(a.pk)}
    assert ids(f"?company={company.pk}") == {str(a.pk)}
    assert ids("?q=鈴木") == {str(b.pk)}
    assert ids(f"?owner={cast.owner.pk}") == {str(a.pk), str(b.pk)}


def test_foreign_ids_in_filters_match_nothing(client, cast):
    outsider = member_of(cast.globex, cast.outsider)
    foreign_company = make_company(outsider, name="Globex")
    make_contact(outsider, emails=["x@globex.example"], company_id=foreign_company.pk)
    login(client, cast.owner)
    for query in (
        f"?company={foreign_company.pk}",
        "?email=x@globex.example",
        f"?owner={cast.outsider.pk}",
        "?q=山田",
    ):
        response = client.get(URL + query, secure=True)
        assert response.status_code == 200 and response.json()["results"] == [], query


def test_malformed_filter_and_cursor_are_400_problems(client, cast):
    login(client, cast.viewer)
    bad = client.get(URL + "?company=not-a-uuid", secure=True)
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    cursor = client.get(URL + "?cursor=garbage", secure=True)
    assert cursor.status_code == 400 and cursor.json()["type"].endswith("/invalid-cursor")


def test_cursor_pages(client, cast):
    owner = member_of(cast.acme, cast.owner)
    for i in range(5):
        make_contact(owner, family=f"N{i}")
    login(client, cast.viewer)
    first = client.get(URL + "?page_size=2", secure=True).json()
    second = client.get(first["next"], secure=True).json()
    assert len(first["results"]) == 2 and len(second["results"]) == 2
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_permissions(client, cast):
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(owner)
    login(client, cast.viewer)
    assert _api(client, "post", URL, {"family_name": "X"}).status_code == 403
    login(client, cast.member)
    url = f"{URL}{contact.pk}/"
    assert _api(client, "patch", url, {"stage": "customer"}).status_code == 403
    assert _api(client, "delete", url).status_code == 403
    login(client, cast.outsider)
    for method in ("get", "patch", "delete"):
        assert _api(client, method, url, {}).status_code == 404


def test_companies_crud(client, cast):
    login(client, cast.member)
    created = _api(
        client, "post", "/api/v1/companies/", {"name": "株式会社テラ", "phone": "0312345678"}
    )
    assert created.status_code == 201, created.content
    company_id = created.json()["id"]
    assert created.json()["phone"] == "+81312345678"
    found = client.get("/api/v1/companies/?q=株式会社テラ", secure=True).json()["results"]
    assert [c["id"] for c in found] == [company_id]
    bad = _api(client, "patch", f"/api/v1/companies/{company_id}/", {"website": "javascript:x"})
    assert bad.status_code == 400
    assert _api(client, "delete", f"/api/v1/companies/{company_id}/").status_code == 204


def test_schema_names_the_serializers(client, cast):
    login(client, cast.viewer)
    schema = client.get("/api/schema/", secure=True).content.decode()
    for name in ("ContactOut", "ContactIn", "CompanyOut", "CompanyIn"):
        assert name in schema


def test_duplicates_and_merge(client, cast):
    owner = member_of(cast.acme, cast.owner)
    keep = make_contact(owner, emails=["a@example.jp"])
    away = make_contact(owner, emails=["A@example.jp", "b@example.jp"])
    login(client, cast.owner)
    dupes = client.get(f"{URL}{keep.pk}/duplicates/", secure=True)
    assert [row["id"] for row in dupes.json()] == [str(away.pk)]
    merged = _api(client, "post", f"{URL}{keep.pk}/merge/", {"merge_away": str(away.pk)})
    assert merged.status_code == 200, merged.content
    assert sorted(e["value"] for e in merged.json()["emails"]) == ["a@example.jp", "b@example.jp"]
    with scopes_disabled():
        assert not Contact.objects.filter(pk=away.pk).exists()


def test_merge_refuses_foreign_and_forbidden_contacts(client, cast):
    outsider = member_of(cast.globex, cast.outsider)
    foreign = make_contact(outsider)
    owner = member_of(cast.acme, cast.owner)
    keep = make_contact(owner)
    login(client, cast.owner)
    response = _api(client, "post", f"{URL}{keep.pk}/merge/", {"merge_away": str(foreign.pk)})
    assert response.status_code == 400
    member = member_of(cast.acme, cast.member)
    mine = make_contact(member)
    login(client, cast.member)
    response = _api(client, "post", f"{URL}{mine.pk}/merge/", {"merge_away": str(keep.pk)})
    assert response.status_code == 403
    with scopes_disabled():
        assert Contact.objects.filter(pk__in=[keep.pk, mine.pk, foreign.pk]).count() == 3


def test_tags(client, cast):
    login(client, cast.member)
    created = _api(client, "post", "/api/v1/tags/", {"name": "vip"})
    assert created.status_code == 201
    again = _api(client, "post", "/api/v1/tags/", {"name": "vip"})
    assert again.json()["id"] == created.json()["id"]
    outsider_tag = None
    with scope(workspace=cast.globex):
        outsider_tag = Tag.objects.create(workspace=cast.globex, name="globex-only")
    names = [t["name"] for t in client.get("/api/v1/tags/", secure=True).json()["results"]]
    assert names == ["vip"] and outsider_tag.name not in names
    login(client, cast.viewer)
    assert _api(client, "post", "/api/v1/tags/", {"name": "x"}).status_code == 403


def test_company_filters(client, cast):
    owner = member_of(cast.acme, cast.owner)
    mine = make_company(owner, name="Mine Co")
    make_company(owner, name="Admins Co", owner_id=cast.admin.pk)
    login(client, cast.viewer)
    rows = client.get(f"/api/v1/companies/?owner={cast.owner.pk}", secure=True).json()["results"]
    assert [row["id"] for row in rows] == [str(mine.pk)]
    bad = client.get("/api/v1/companies/?tag=nope", secure=True)
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"


def test_sort_by_updated(client, cast):
    from terabox_crm.contacts import services

    owner = member_of(cast.acme, cast.owner)
    first, second = make_contact(owner, family="First"), make_contact(owner, family="Second")
    with scope(workspace=cast.acme):
        services.contact_update(
            membership=owner, contact=first, data=services.contact_data_of(first)
        )
    login(client, cast.viewer)
    rows = client.get(URL + "?sort=-updated_at", secure=True).json()["results"]
    assert [r["id"] for r in rows] == [str(first.pk), str(second.pk)]
    rows = client.get(URL + "?sort=created_at", secure=True).json()["results"]
    assert [r["id"] for r in rows] == [str(first.pk), str(second.pk)]
    assert client.get(URL + "?sort=name", secure=True).status_code == 400


def test_a_phone_row_without_its_value_is_refused_on_patch(client, cast):
    contact = make_contact(member_of(cast.acme, cast.member), phones=["03-1234-5678"])
    login(client, cast.member)
    response = _api(client, "patch", f"{URL}{contact.pk}/", {"phones": [{"label": "work"}]})
    assert response.status_code == 400
    assert "phones" in response.json()["errors"]
