"""``/api/docs/`` in a real browser on a real server (S1, S8): Swagger UI loads
from this server's own assets with no Content-Security-Policy violation (no
inline style or script), and the server streams the static files it serves
asynchronously under ASGI — it no longer logs ``StreamingHttpResponse must
consume synchronous iterators`` (core/streaming.py)."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SYNC_ITERATOR_WARNING = "must consume synchronous iterators"


def test_api_docs_load_without_a_csp_violation_and_stream_asynchronously(serve, chromium):
    served = serve()
    context = chromium.new_context(ignore_https_errors=True, locale="en-US")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    assets: list[str] = []
    page.on("response", lambda response: assets.append(response.url))
    page.goto(f"{served.url}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    page.locator(".opblock").first.wait_for()
    assert "Terabox CRM API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.evaluate("window.__violations") == []
    assert [line for line in console if "Content Security Policy" in line] == []
    # Every asset came from this server: the sidecar's Swagger UI and our CSS.
    origin = served.url
    assert all(url.startswith(origin) for url in assets), assets
    assert any(re.search(r"/static/drf_spectacular_sidecar/.+swagger-ui-bundle", u) for u in assets)
    assert any("/static/api/docs" in url for url in assets)
    assert page.evaluate("document.documentElement.lang") == "en"
    # A static file streamed through the ASGI server, and nothing logged about it.
    with served.client() as client:
        css = client.get("/static/web/app.css")
    assert css.status_code == 200
    assert len(css.content) == int(css.headers["content-length"]) > 1000
    context.close()
    assert SYNC_ITERATOR_WARNING not in served.output
