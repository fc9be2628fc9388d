"""The shell around every page: navigation, switchers, CSP-clean markup."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from terabox_crm.core.roles import Role
from terabox_crm.testing import factories
from terabox_crm.testing.auth import login
from terabox_crm.web.tests.html import csp_violations, parse

pytestmark = pytest.mark.django_db

MEMBERS = reverse("core:members")
AUDIT = reverse("audit:trail")


def _nav_links(response) -> set[str]:
    nav = parse(response.content).find("nav", cls="mainnav")
    assert nav is not None
    return {a.attrs["href"] for a in nav.find_all("a")}


@pytest.mark.parametrize(
    ("role", "sees_members", "sees_audit"),
    [
        (Role.OWNER, True, True),
        (Role.ADMIN, True, True),
        (Role.MANAGER, True, False),
        (Role.MEMBER, True, False),
        (Role.VIEWER, True, False),
    ],
)
def test_navigation_shows_only_what_the_role_may_open(client, cast, role, sees_members, sees_audit):
    login(client, getattr(cast, role))
    links = _nav_links(client.get("/"))
    assert reverse("web:home") in links
    assert (MEMBERS in links) is sees_members
    assert (AUDIT in links) is sees_audit


def test_auditor_capability_adds_the_audit_trail(client, cast):
    cast.viewer_membership.is_auditor = True
    cast.viewer_membership.save(update_fields=["is_auditor"])
    login(client, cast.viewer)
    assert AUDIT in _nav_links(client.get("/"))


def test_current_page_is_marked_in_the_navigation(client, cast):
    login(client, cast.member)
    nav = parse(client.get("/").content).find("nav", cls="mainnav")
    current = [a for a in nav.find_all("a") if a.attrs.get("aria-current") == "page"]
    assert [a.attrs["href"] for a in current] == [reverse("web:home")]


def test_the_search_page_marks_no_section_it_merely_lives_under(client, cast):
    """Search spans contacts, companies, deals and tickets: 連絡先 is not current."""
    login(client, cast.member)
    nav = parse(client.get(reverse("contacts:search") + "?q=a").content).find("nav", cls="mainnav")
    assert not [a for a in nav.find_all("a") if a.attrs.get("aria-current") == "page"]
    nav = parse(client.get(reverse("contacts:list")).content).find("nav", cls="mainnav")
    current = [a for a in nav.find_all("a") if a.attrs.get("aria-current") == "page"]
    assert [a.attrs["href"] for a in current] == [reverse("contacts:list")]


def test_workspace_switcher_lists_only_the_users_workspaces(client, cast):
    third = factories.make_workspace("Initech")
    factories.add_member(third, cast.member, Role.VIEWER)
    login(client, cast.member)
    switcher = parse(client.get("/").content).find("details", cls="ws-switch")
    text = switcher.text()
    assert "Acme" in text
    assert "Initech" in text
    assert "Globex" not in text
    values = {
        i.attrs["value"] for i in switcher.find_all("input") if i.attrs.get("name") == "workspace"
    }
    assert values == {str(cast.acme.pk), str(third.pk)}
    assert switcher.find("a").attrs["href"] == reverse("core:create")


def test_user_without_workspace_is_invited_to_create_one(client, db):
    loner = factories.make_user("loner@example.com")
    login(client, loner)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    content = response.content.decode()
    assert "You are not a member of any workspace yet" in content
    assert reverse("core:create") in content
    assert _nav_links(response) == {reverse("web:home")}


def test_home_shows_workspace_role_and_quick_links(client, cast):
    login(client, cast.admin)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    assert "Acme" in content
    assert "Account and workspace" in content
    assert f'href="{MEMBERS}"' in content
    assert f'href="{AUDIT}"' in content
    assert reverse("accounts:security") in content
    assert "Set up two-factor authentication" in content


def test_home_hides_the_audit_link_from_members(client, cast):
    login(client, cast.member)
    content = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert AUDIT not in content


def test_home_in_japanese(client, cast):
    login(client, cast.owner)
    content = client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "アカウントのセキュリティ" in content
    assert "メンバー" in content


def test_sign_in_page_has_the_simple_header(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en")
    tree = parse(response.content)
    header = tree.find("header", cls="topbar")
    assert header.find("a", cls="brand") is not None
    assert header.find("form", cls="lang-switch") is not None
    assert header.find("nav") is None
    assert header.find("details") is None
    assert header.find("a", cls="bell") is None


@pytest.mark.parametrize("who", [None, "owner", "member"])
def test_pages_have_no_inline_script_or_style(client, cast, who):
    if who:
        login(client, getattr(cast, who))
        urls = ["/", reverse("notifications:list"), "/no-such-page/"]
    else:
        urls = [reverse("accounts:login"), "/no-such-page/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert csp_violations(response.content) == [], url


def test_htmx_is_configured_for_a_strict_csp(client):
    tree = parse(client.get(reverse("accounts:login")).content)
    meta = next(m for m in tree.find_all("meta") if m.attrs.get("name") == "htmx-config")
    config = json.loads(meta.attrs["content"])
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["selfRequestsOnly"] is True
    assert config["historyCacheSize"] == 0
    assert "style" not in config["attributesToSettle"]
    scripts = [s.attrs["src"] for s in tree.find_all("script")]
    assert any("htmx-2.0.11.min.js" in src for src in scripts)


def test_csrf_token_for_htmx_is_on_the_body(client, cast):
    login(client, cast.member)
    body = parse(client.get("/").content).find("body")
    headers = json.loads(body.attrs["hx-headers"])
    assert len(headers["X-CSRFToken"]) >= 32


def test_csp_header_forbids_inline_script(client):
    response = client.get(reverse("accounts:login"))
    policy = response["Content-Security-Policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src


def test_flash_messages_can_be_dismissed(client, cast):
    login(client, cast.member)
    response = client.post(reverse("notifications:read_all"), follow=True)
    item = parse(response.content).find("div", cls="flash-item")
    assert item is not None
    assert "flash-success" in item.classes
    assert "data-dismiss" in item.find("button").attrs


@pytest.mark.parametrize(
    ("role", "sees_settings"),
    [("owner", True), ("admin", False), ("member", False), ("viewer", False)],
)
def test_only_owners_see_workspace_settings_in_the_navigation(client, cast, role, sees_settings):
    login(client, getattr(cast, role))
    assert (reverse("core:settings") in _nav_links(client.get("/"))) is sees_settings
