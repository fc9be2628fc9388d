"""The HTTP hygiene of the whole site, from outside, against the real server
that ``terabox-crm serve`` starts (uvicorn over TLS): every cookie
``__Host-``-prefixed, Secure and HttpOnly along the anonymous flows and a
signed-in one (with two-factor enrolment); ``Clear-Site-Data`` on sign-out;
405 with ``Allow`` for TRACE and the methods a page does not serve, before
sign-in; ``/.well-known/security.txt``; the API docs open in development.

Production's side of the API docs is in tests/test_api_docs_production_process.py.
"""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from browser import totp
from serving import COMMAND, Served, clean_env
from terabox_crm.testing.cookies import CookieLog

pytestmark = pytest.mark.slow

EMAIL = "owner@hygiene.example"
PASSWORD = "a long and memorable passphrase"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SECRET = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')
RECOVERY = re.compile(r"<li><code>([^<]+)</code></li>")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One development server whose workspace has an owner (two-factor not yet enrolled)."""
    directory = tmp_path_factory.mktemp("hygiene")
    created = subprocess.run(
        [COMMAND, "createowner", "--email", EMAIL, "--workspace", "Hygiene KK"],
        env=clean_env(directory, CRM_PASSWORD=PASSWORD),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    served = Served(directory, ["--http-port", "0"], clean_env(directory)).wait_ready()
    yield served
    served.kill()


class Browser:
    """An httpx client that sends what a browser sends with a form (Origin,
    Referer), acts on Clear-Site-Data, and logs every Set-Cookie it receives."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.client = served.client()
        self.client.headers["Origin"] = served.url
        self.log = CookieLog()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()

    def request(self, method: str, path: str, data: dict | None = None) -> httpx.Response:
        url = path
        response = self.client.request(
            method, url, data=data, headers={"Referer": f"{self.served.url}{path}"}
        )
        self._seen(f"{method} {path}", response)
        while response.is_redirect:
            url = response.headers["location"]
            response = self.client.get(url)
            self._seen(f"GET {url}", response)
        return response

    def form(self, path: str, fields: dict, *, page: str | None = None) -> httpx.Response:
        """Open the page with the form (``page``, default ``path``) and post it."""
        shown = self.request("GET", page or path)
        token = CSRF.search(shown.text).group(1)
        return self.request("POST", path, {**fields, "csrfmiddlewaretoken": token})

    def _seen(self, where: str, response: httpx.Response) -> None:
        self.log.add(where, response)
        if '"cookies"' in response.headers.get("clear-site-data", ""):
            self.client.cookies.clear()


def enrolled_browser(served: Served) -> Browser:
    """Sign the owner in with two factors: enrol on the first call (owners
    must), then use one recovery code per sign-in (a TOTP code works once
    per 30 s step, and these tests sign in faster than that)."""
    browser = Browser(served)
    page = browser.form("/accounts/login/", {"email": EMAIL, "password": PASSWORD})
    token = CSRF.search(page.text).group(1)
    if not hasattr(served, "recovery_codes"):
        assert "/accounts/two-factor/enrol/" in str(page.url), page.url
        secret = SECRET.search(page.text).group(1).replace(" ", "")
        shown = browser.request(
            "POST",
            "/accounts/two-factor/enrol/",
            {"code": totp(secret, time.time()), "csrfmiddlewaretoken": token},
        )
        served.recovery_codes = RECOVERY.findall(shown.text)
        assert len(served.recovery_codes) == 10
        return browser
    done = browser.request(
        "POST",
        "/accounts/login/verify/",
        {"code": served.recovery_codes.pop(), "csrfmiddlewaretoken": token},
    )
    assert str(done.url) == f"{served.url}/", done.url
    return browser


# --- Cookies (S14) ------------------------------------------------------------------------


def test_anonymous_flows_set_only_host_prefixed_secure_http_only_cookies(server):
    with Browser(server) as browser:
        browser.form("/accounts/login/", {"email": "nobody@example.com", "password": "wrong one"})
        browser.form(
            "/i18n/language/",
            {"language": "en", "next": "/accounts/login/"},
            page="/accounts/login/",
        )
        browser.form("/accounts/password-reset/", {"email": "nobody@example.com"})
        browser.form("/accounts/logout/", {}, page="/accounts/login/")
        browser.request("GET", "/.well-known/security.txt")
    assert browser.log.seen, "the walk saw no cookie at all"
    assert browser.log.problems() == []


def test_a_signed_in_flow_sets_only_host_prefixed_secure_http_only_cookies(server):
    browser = enrolled_browser(server)
    with browser:
        browser.form("/accounts/profile/", {"display_name": "Owner", "language": "ja"})
        browser.form(
            "/contacts/new/",
            {
                "family_name": "山田",
                "given_name": "花子",
                "company_name": "",
                "company": "",
                "stage": "lead",
                "source": "direct",
                "emails-TOTAL_FORMS": "0",
                "emails-INITIAL_FORMS": "0",
                "phones-TOTAL_FORMS": "0",
                "phones-INITIAL_FORMS": "0",
            },
        )
        browser.form("/accounts/logout/", {}, page="/")
    names = browser.log.names()
    assert {"__Host-sessionid", "__Host-csrftoken", "__Host-device"} <= names
    assert "messages" not in names
    assert browser.log.problems() == []


# --- Sign-out (S14) -------------------------------------------------------------------------


def test_sign_out_answers_with_clear_site_data_and_gives_the_device_back(server):
    browser = enrolled_browser(server)
    with browser:
        device = browser.client.cookies["__Host-device"]
        token = CSRF.search(browser.request("GET", "/").text).group(1)
        answer = browser.client.post(
            "/accounts/logout/",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{server.url}/"},
        )
        assert answer.status_code == 302
        assert answer.headers["clear-site-data"] == '"cache", "cookies", "storage"'
        assert "/accounts/signed-out/" in answer.headers["location"]
        assert device not in answer.headers["location"]
        page = browser.client.get(answer.headers["location"])
    assert page.status_code == 200
    assert page.cookies["__Host-device"] == device


def test_sign_out_everywhere_clears_this_browser_too(server):
    browser = enrolled_browser(server)
    with browser:
        token = CSRF.search(browser.request("GET", "/accounts/security/").text).group(1)
        answer = browser.client.post(
            "/accounts/security/sign-out-everywhere/",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{server.url}/accounts/security/"},
        )
    assert answer.headers["clear-site-data"] == '"cache", "cookies", "storage"'


# --- Methods (S1, S9) -------------------------------------------------------------------------


def raw(served: Served, request_line: str, *, port: int | None = None, tls: bool = True) -> str:
    """One raw request (any method, as a probing client sends it); the answer's head."""
    port = port or int(served.url.rsplit(":", 1)[1])
    head = f"{request_line}\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
        if tls:
            context = ssl.create_default_context(cafile=str(served.cert_path))
            sock = context.wrap_socket(plain, server_hostname="127.0.0.1")
        else:
            sock = plain
        with sock:
            sock.sendall(head.encode("latin-1"))
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
    return answer.decode("latin-1").split("\r\n\r\n", 1)[0]


def header(head: str, name: str) -> str:
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return ""


@pytest.mark.parametrize(
    ("request_line", "allow"),
    [
        ("TRACE /accounts/login/ HTTP/1.1", "GET, HEAD, POST"),
        ("TRACE / HTTP/1.1", "GET, HEAD"),
        ("TRACK /accounts/login/ HTTP/1.1", "GET, HEAD, POST"),
        ("PROPFIND /contacts/ HTTP/1.1", "GET, HEAD"),
        ("BREW /accounts/login/ HTTP/1.1", "GET, HEAD, POST"),
        ("PUT /contacts/ HTTP/1.1", "GET, HEAD"),
        ("DELETE /accounts/profile/ HTTP/1.1", "GET, HEAD, POST"),
        ("GET /accounts/logout/ HTTP/1.1", "POST"),
    ],
)
def test_a_method_the_url_does_not_serve_is_405_with_allow_before_sign_in(
    server, request_line, allow
):
    head = raw(server, request_line)
    assert head.startswith("HTTP/1.1 405 "), head
    assert header(head, "allow") == allow


def test_connect_is_refused_and_never_becomes_a_tunnel(server):
    head = raw(server, "CONNECT / HTTP/1.1")
    assert head.startswith("HTTP/1.1 405 "), head
    assert header(head, "allow") == "GET, HEAD"


def test_the_405_carries_the_security_headers(server):
    head = raw(server, "TRACE /accounts/login/ HTTP/1.1")
    assert "max-age=31536000" in header(head, "strict-transport-security")
    assert "frame-ancestors 'none'" in header(head, "content-security-policy")
    assert header(head, "set-cookie") == ""


def test_trace_on_the_audit_trail_is_405_when_signed_in(server):
    browser = enrolled_browser(server)
    with browser:
        response = browser.client.request("TRACE", "/audit/")
    assert response.status_code == 405
    assert "<h1" in response.text
    assert response.headers["allow"] == "GET, HEAD"


def test_trace_under_the_api_is_405_problem_details(server):
    with server.client() as client:
        response = client.request("TRACE", "/api/v1/contacts/")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "GET, HEAD, POST, OPTIONS"


def test_head_of_a_page_answers_without_a_body(server):
    with server.client() as client:
        response = client.head("/accounts/login/")
    assert response.status_code == 200
    assert response.content == b""


def test_trace_on_the_plain_http_listener_is_405_not_a_redirect(server):
    head = raw(server, "TRACE / HTTP/1.1", port=server.http_port, tls=False)
    assert head.startswith("HTTP/1.1 405 "), head
    assert "location" not in head.lower()


# --- security.txt (RFC 9116) -------------------------------------------------------------------


def test_security_txt_is_served_as_rfc_9116_plain_text(server):
    with server.client() as client:
        response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in response.text.splitlines())
    assert fields["Contact"] == "mailto:security@localhost"
    expires = datetime.fromisoformat(fields["Expires"])
    assert datetime.now(UTC) < expires < datetime.now(UTC) + timedelta(days=365)
    assert fields["Preferred-Languages"] == "ja, en"
    assert fields["Canonical"] == "https://127.0.0.1:8443/.well-known/security.txt"
    assert "set-cookie" not in response.headers


def test_top_level_security_txt_redirects_to_the_well_known_one(server):
    with server.client() as client:
        response = client.get("/security.txt")
    assert response.status_code == 301
    assert response.headers["location"] == "/.well-known/security.txt"


# --- API docs in development (S1, S8) --------------------------------------------------------------


def test_api_schema_and_docs_are_open_in_development(server):
    with server.client() as client:
        schema = client.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
        docs = client.get("/api/docs/")
    assert schema.status_code == 200
    assert docs.status_code == 200


# --- Start-up checks of the new settings ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CRM_SECURITY_CONTACT", "security@example.com"),
        ("CRM_CLEAR_SITE_DATA", "cache,everything"),
        ("CRM_SITE_URL", "http://crm.example.com"),
    ],
)
def test_a_malformed_setting_stops_the_start(tmp_path, name, value):
    result = subprocess.run(
        [COMMAND, "manage", "check"],
        env=clean_env(tmp_path, **{name: value}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert name in result.stderr
