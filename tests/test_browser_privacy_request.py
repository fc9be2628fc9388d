"""A data-subject request end to end in a real browser (P9), against
``serve --demo`` in headless Chromium, with its emails caught by a real SMTP
server (aiosmtpd): a person files a deletion request on the public page,
verifies it from the emailed link, and a privacy officer finds it in the
queue, erases the person from the request screen (step-up, P8, S4) and
closes it; the contact is gone. Screenshots of the public page, the verification page
and the queue, in Japanese and English."""

from __future__ import annotations

import email
import re
import threading
import time
from email import policy

import pytest

from browser import PASSWORD, SHOTS, totp

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADDRESS = "hanako.yamada@example.jp"
VERIFY = re.compile(r"https://\S+/privacy/request/verify/\S+/")


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this hook by name
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def wait_for(self, pattern: re.Pattern, timeout: float = 90) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for message in self.messages:
                    found = pattern.search(message.get_body(("plain",)).get_content())
                    if found:
                        return found.group(0)
            time.sleep(0.5)
        raise AssertionError(f"no email matching {pattern.pattern}")


@pytest.fixture
def inbox():
    from aiosmtpd.controller import Controller

    from terabox_crm.testing.smtp import free_port

    collector = Inbox()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    collector.port = port
    yield collector
    controller.stop()


def _signed_in(browser, served):
    """The demo owner signed in (two-factor enrolled), with the TOTP secret
    kept for the step-up that erasure asks for (S4)."""
    page = browser.new_context(
        ignore_https_errors=True, locale="en-US", viewport={"width": 1400, "height": 900}
    ).new_page()
    page.goto(f"{served.url}/accounts/login/")
    page.fill("input[name=email]", "demo@example.com")
    page.fill("input[name=password]", PASSWORD.search(served.output).group(1))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/two-factor/enrol/**")
    secret = page.locator("code.secret").inner_text().strip()
    page.fill("input[name=code]", totp(secret, time.time()))
    page.click("main form button[type=submit]")
    page.locator(".recovery-codes li").first.wait_for()
    return page, secret


def _step_up(page, served, secret, back_to: str) -> None:
    """Confirm it is the demo owner again (S4) and come back to ``back_to``."""
    page.fill("input[name=password]", PASSWORD.search(served.output).group(1))
    page.fill("input[name=code]", totp(secret, time.time() + 30))  # not the enrolment code
    page.click("main form button[type=submit]")
    page.wait_for_url(back_to)


def _from_the_top(page) -> None:
    """Scrolled to the top, two frames later, before a full-page capture: else
    the sticky top bar is drawn mid-page (where a focused field had scrolled
    it), or the lower part not yet painted after a resize."""
    page.evaluate(
        "() => { window.scrollTo(0, 0); return new Promise(done =>"
        " requestAnimationFrame(() => requestAnimationFrame(done))); }"
    )


def _at_phone_width(page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    _from_the_top(page)


def _wide_and_narrow(page, name: str) -> None:
    """Full-page captures ``name``.png at the page's width and ``name``-phone.png
    at a phone's, then back to the page's width."""
    wide = page.viewport_size
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    _at_phone_width(page)
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(wide)


def _make_officer(staff, served) -> None:
    """Give the demo owner the privacy-officer capability, on the member's
    own page (docs/ui.md "Settings pages")."""
    staff.goto(f"{served.url}/workspace/members/")
    staff.locator("main table tbody tr").first.locator("a").first.click()
    staff.wait_for_url(re.compile(r".*/workspace/members/[0-9a-f-]{36}/$"))
    officer_form = staff.locator("form[action*='/capabilities/']").first
    officer_form.locator("input[name=privacy_officer]").check()
    officer_form.locator("button[type=submit]").click()
    staff.wait_for_load_state()


def test_a_deletion_request_is_filed_verified_and_closed(serve, chromium, inbox):
    served = serve("--demo", CRM_EMAIL_URL=f"smtp+insecure://127.0.0.1:{inbox.port}")
    staff, secret = _signed_in(chromium, served)

    # The demo owner answers privacy requests, and the person is a contact.
    _make_officer(staff, served)
    staff.goto(f"{served.url}/contacts/new/")
    staff.fill("input[name=family_name]", "山田")
    staff.fill("input[name=given_name]", "花子")
    staff.fill("#id_emails-0-value", ADDRESS)
    staff.locator(".form-actions button[type=submit]").last.click()
    staff.wait_for_url(re.compile(r".*/contacts/[0-9a-f-]{36}/$"))

    for locale, lang in (("en-US", "en"), ("ja-JP", "ja")):
        visitor = chromium.new_context(ignore_https_errors=True, locale=locale).new_page()
        visitor.goto(f"{served.url}/privacy/request/")
        visitor.screenshot(path=str(SHOTS / f"dsr-public-page-{lang}.png"), full_page=True)
        visitor.context.close()
    phone = chromium.new_context(
        ignore_https_errors=True, locale="ja-JP", viewport={"width": 390, "height": 844}
    ).new_page()
    phone.goto(f"{served.url}/privacy/request/")
    phone.screenshot(path=str(SHOTS / "dsr-public-page-ja-phone.png"), full_page=True)
    phone.context.close()

    person = chromium.new_context(ignore_https_errors=True, locale="en-US").new_page()
    person.goto(f"{served.url}/privacy/request/")
    person.fill("input[name=email]", ADDRESS)
    person.check("input[name=kind][value=deletion]")
    person.click("main form button[type=submit]")
    person.locator("h1", has_text="Check your inbox").wait_for()

    link = inbox.wait_for(VERIFY)
    person.goto(link.replace("https://127.0.0.1:8443", served.url))
    person.locator("h1", has_text="Confirm your request").wait_for()
    person.screenshot(path=str(SHOTS / "dsr-verify-page-en.png"), full_page=True)
    person.click("main form button[type=submit]")
    person.locator("h1", has_text="Request confirmed").wait_for()

    # Routing is a job of the embedded worker: reload until the request is there.
    deadline = time.time() + 90
    while time.time() < deadline:
        staff.goto(f"{served.url}/privacy-requests/")
        if staff.locator("main table a", has_text="Deletion").count():
            break
        staff.wait_for_timeout(1000)
    staff.screenshot(path=str(SHOTS / "dsr-queue-en.png"), full_page=True)
    staff.locator("main table a", has_text="Deletion").first.click()
    staff.wait_for_url("**/privacy-requests/*/")
    assert ADDRESS in staff.locator("main").inner_text()
    request_url = staff.url
    contact_url = staff.locator("li[data-subject] a").first.get_attribute("href")
    staff.screenshot(path=str(SHOTS / "dsr-request-deletion-en.png"), full_page=True)
    staff.set_viewport_size({"width": 390, "height": 900})
    staff.screenshot(path=str(SHOTS / "dsr-request-deletion-en-phone.png"), full_page=True)
    staff.set_viewport_size({"width": 1400, "height": 900})
    staff.click("form[action$='/erase/'] button[type=submit]")
    staff.wait_for_load_state()
    if "/accounts/step-up/" in staff.url:  # signing in counts as a step-up for 5 minutes only
        _step_up(staff, served, secret, request_url)
        staff.click("form[action$='/erase/'] button[type=submit]")
        staff.wait_for_load_state()
    staff.locator("li[data-subject] .badge", has_text="Erased").wait_for()
    history = staff.locator("section[aria-labelledby=history-title]").inner_text()
    assert "erased" in history and ADDRESS not in history
    assert staff.locator("form[action$='/erase/']").count() == 0
    gone = staff.goto(f"{served.url}{contact_url}")
    assert gone.status == 404
    staff.goto(f"{served.url}/contacts/?q={ADDRESS}")
    assert staff.locator(f"main a[href='{contact_url}']").count() == 0
    staff.goto(request_url)
    staff.select_option("select[name=status]", "done")
    staff.fill("textarea[name=note]", "Erased from the request screen.")
    staff.click("form[action$='/status/'] button[type=submit]")
    staff.locator(".eyebrow", has_text="Done").wait_for()
    staff.screenshot(path=str(SHOTS / "dsr-request-done-en.png"), full_page=True)
    inbox.wait_for(re.compile(r"Deletion|削除"))  # the one confirmation to the person

    ja = chromium.new_context(ignore_https_errors=True, locale="ja-JP")
    ja.add_cookies(staff.context.cookies())
    queue = ja.new_page()
    queue.goto(f"{served.url}/privacy-requests/?status=all")
    queue.locator("h1", has_text="個人情報に関する請求").wait_for()
    queue.screenshot(path=str(SHOTS / "dsr-queue-ja.png"), full_page=True)
    # The closed request in Japanese, at both widths: its people card says
    # where the outcome is (the status history), not what to do next.
    queue.goto(request_url)
    people = queue.locator("section", has=queue.locator("li[data-subject]")).last
    assert "この請求は完了しています。" in people.inner_text()
    queue.screenshot(path=str(SHOTS / "dsr-request-done-ja.png"), full_page=True)
    queue.set_viewport_size({"width": 390, "height": 900})
    queue.screenshot(path=str(SHOTS / "dsr-request-done-ja-phone.png"), full_page=True)


def test_an_officer_records_a_request_received_by_phone(serve, chromium, inbox):
    """A request that came by phone, recorded from the contact's ⋯ menu: the
    contact is named, the person is told by email, and the request screen
    says how it arrived and how identity was checked. Screenshots of the
    form and the request in English and Japanese, at desk and phone widths."""
    served = serve("--demo", CRM_EMAIL_URL=f"smtp+insecure://127.0.0.1:{inbox.port}")
    staff, _secret = _signed_in(chromium, served)
    _make_officer(staff, served)
    staff.goto(f"{served.url}/contacts/")
    staff.locator("main table tbody tr a[href*='/contacts/']").first.click()
    staff.wait_for_url(re.compile(r".*/contacts/[0-9a-f-]{36}/$"))
    name = staff.locator("h1").first.inner_text().strip()
    staff.locator("summary[aria-label='More actions']").click()
    staff.screenshot(path=str(SHOTS / "dsr-contact-menu-en.png"))
    staff.locator(".menu a", has_text="Record a privacy request").click()
    staff.wait_for_url("**/privacy-requests/new/?contact=*")
    assert name.split()[0] in staff.locator("main dl.details").inner_text()
    staff.select_option("select[name=kind]", "restriction")
    staff.select_option("select[name=channel]", "phone")
    staff.fill("input[name=email]", ADDRESS)
    staff.select_option("select[name=language]", "en")
    staff.fill("textarea[name=identity_check]", "Called back on the number we hold.")
    staff.fill("textarea[name=details]", "Please stop using my data for now.")
    _from_the_top(staff)
    _wide_and_narrow(staff, "dsr-record-en")
    staff.click("main form button[type=submit]")
    staff.wait_for_url(re.compile(r".*/privacy-requests/[0-9a-f-]{36}/$"))
    request_url = staff.url
    main = staff.locator("main").inner_text()
    assert "Phone" in main and "Called back on the number we hold." in main
    people = staff.locator("section[aria-labelledby=subjects-title]")
    assert "People this request is about" in people.inner_text()
    assert people.locator("li[data-subject]").count() == 1
    staff.screenshot(path=str(SHOTS / "dsr-recorded-request-en.png"), full_page=True)
    inbox.wait_for(re.compile(r"has recorded your request"))
    staff.goto(f"{served.url}/privacy-requests/")
    assert staff.locator("main table .badge", has_text="Phone").count() == 1

    ja = chromium.new_context(ignore_https_errors=True, locale="ja-JP")
    ja.add_cookies(staff.context.cookies())
    page = ja.new_page()
    page.goto(f"{served.url}/privacy-requests/new/")
    page.locator("h1", has_text="請求を記録").wait_for()
    page.click("main form button[type=submit]")  # nothing filled in: every error, in Japanese
    assert "本人確認の方法" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "dsr-record-errors-ja.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=str(SHOTS / "dsr-record-errors-ja-phone.png"), full_page=True)
    page.goto(request_url)
    assert "受付方法" not in page.locator("main h1").inner_text()
    assert "電話" in page.locator("main dl.details").inner_text()
    page.screenshot(path=str(SHOTS / "dsr-recorded-request-ja-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / "dsr-recorded-request-ja.png"), full_page=True)


def test_a_letter_with_only_a_postal_address_is_answered_by_post(serve, chromium, inbox):
    """A letter asking for access, from a person who gave no email address
    (P9): recorded from the contact's ⋯ menu with the postal address, a
    letter recorded as sent, and the access file prepared and downloaded by
    the officer (step-up, S4) to send. Screenshots of the request in
    Japanese and English, at desk and phone widths."""
    served = serve("--demo", CRM_EMAIL_URL=f"smtp+insecure://127.0.0.1:{inbox.port}")
    staff, secret = _signed_in(chromium, served)
    _make_officer(staff, served)
    staff.goto(f"{served.url}/contacts/")
    staff.locator("main table tbody tr a[href*='/contacts/']").first.click()
    staff.wait_for_url(re.compile(r".*/contacts/[0-9a-f-]{36}/$"))
    contact = staff.url.rstrip("/").rsplit("/", 1)[1]
    staff.goto(f"{served.url}/privacy-requests/new/?contact={contact}")
    staff.select_option("select[name=kind]", "access")
    staff.select_option("select[name=channel]", "post")
    staff.fill("textarea[name=postal_address]", "〒100-0001\n東京都千代田区千代田1-1\n山田 太郎 様")
    staff.select_option("select[name=language]", "ja")
    staff.fill("textarea[name=identity_check]", "Copy of a driving licence enclosed.")
    staff.click("main form button[type=submit]")
    staff.wait_for_url(re.compile(r".*/privacy-requests/[0-9a-f-]{36}/$"))
    request_url = staff.url
    assert "let them know by post" in staff.locator("main").inner_text()
    assert "東京都千代田区千代田1-1" in staff.locator("#postal-address").inner_text()
    staff.fill("textarea[name=body]", "ご請求を受け付けました。14日以内にご回答いたします。")
    staff.click("form[action$='/reply/'] button[type=submit]")
    staff.locator("section[aria-labelledby=replies-title] .badge", has_text="By post").wait_for()
    # The letter laid out to print: in the person's language, the page around it in English.
    staff.locator("section[aria-labelledby=replies-title] a", has_text="Letter to print").click()
    staff.wait_for_url("**/letter/")
    letter_url = staff.url
    letter = staff.locator("#letter").inner_text()
    assert "東京都千代田区千代田1-1" in letter and "個人情報に関するご請求" in letter
    staff.screenshot(path=str(SHOTS / "dsr-letter-en.png"), full_page=True)
    staff.emulate_media(media="print")
    assert not staff.locator(".topbar").is_visible()
    staff.screenshot(path=str(SHOTS / "dsr-letter-print.png"), full_page=True)
    staff.emulate_media(media="screen")
    staff.goto(request_url)

    staff.click("form[action$='/export/'] button[type=submit]")
    download = staff.locator("form[action$='/download/'] button[type=submit]")
    for _attempt in range(60):  # the job builds the file
        if download.count():
            break
        time.sleep(0.5)
        staff.goto(request_url)
    assert "Ready for you to send by post" in staff.locator("main").inner_text()
    _wide_and_narrow(staff, "dsr-by-post-request-en")
    try:
        with staff.expect_download(timeout=5000) as fetched:
            download.click()
    except Exception:  # signing in counts as a step-up for 5 minutes only
        assert "/accounts/step-up/" in staff.url
        _step_up(staff, served, secret, request_url)
        with staff.expect_download() as fetched:
            download.click()
    assert fetched.value.suggested_filename.endswith(".zip")
    staff.goto(request_url)
    assert "it can be downloaded once" in staff.locator("main").inner_text()
    assert download.count() == 0

    ja = chromium.new_context(
        ignore_https_errors=True, locale="ja-JP", viewport={"width": 1280, "height": 900}
    )
    ja.add_cookies(staff.context.cookies())
    page = ja.new_page()
    page.goto(request_url)
    assert "回答の郵送先" in page.locator("main dl.details").inner_text()
    assert "メールアドレスを伝えていません" in page.locator("#by-post-note").inner_text()
    page.screenshot(path=str(SHOTS / "dsr-by-post-request-ja.png"), full_page=True)
    page.goto(letter_url)
    assert "印刷用の書面" in page.locator("h1").inner_text()
    _wide_and_narrow(page, "dsr-letter-ja")
    page.goto(f"{served.url}/privacy-requests/new/")
    page.screenshot(path=str(SHOTS / "dsr-record-ja.png"), full_page=True)
