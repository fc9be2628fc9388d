"""An incident end to end in a real browser (S13, S14), against
``serve --demo`` in headless Chromium, with every email caught by a real
SMTP server (aiosmtpd):

1. the demo owner signs in on their laptop; someone else signs in on another
   device; each sign-in emails a new-device alert with a "this wasn't me" link;
2. the owner opens the link from their mail, confirms: every session ends
   (the laptop and the intruder's browser are both signed out), the password
   stops working and a reset link is emailed;
3. the owner sets a new password from that email, signs in again and opens
   the incident drafted for them, reviews who is affected (read from the audit
   trail), writes the public notice, notifies the people (their emails reach
   the SMTP server) and publishes the notice;
4. an anonymous visitor sees the announcement on the public /notices/ page,
   in Japanese and English.

Screenshots of the confirmation page, the incident, the report draft and the
public notice go to out/screenshots/.
"""

from __future__ import annotations

import email
import re
import threading
import time
from email import policy

import pytest

from browser import PASSWORD, SHOTS, totp

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "demo@example.com"
NOT_ME = re.compile(r"https://\S+/accounts/not-me/\?token=\S+")
RESET = re.compile(r"https://\S+/accounts/password-reset/\S+/\S+/")
NEW_PASSWORD = "Correct-horse-battery-staple-2026"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this hook by name
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"

    def bodies(self) -> list[tuple[list[str], str, str]]:
        with self.lock:
            return [
                (to, str(message["Subject"]), message.get_body(("plain",)).get_content())
                for to, message in self.messages
            ]

    def wait_for(self, pattern: re.Pattern, *, after: int = 0, timeout: float = 90) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for _to, _subject, body in self.bodies()[after:]:
                found = pattern.search(body)
                if found:
                    return found.group(0)
            time.sleep(0.5)
        raise AssertionError(f"no email matching {pattern.pattern}")

    def wait_count(self, predicate, count: int, timeout: float = 90) -> list:
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [item for item in self.bodies() if predicate(item)]
            if len(found) >= count:
                return found
            time.sleep(0.5)
        raise AssertionError(f"fewer than {count} matching emails")


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


def _context(chromium, locale="en-US"):
    return chromium.new_context(
        ignore_https_errors=True, locale=locale, viewport={"width": 1400, "height": 900}
    )


def _local(link: str, served) -> str:
    return link.replace("https://127.0.0.1:8443", served.url)


def _sign_in(page, served, password: str, *, secret=None):
    """Sign in for the first time, enrolling two-factor; returns the secret and recovery codes."""
    page.goto(f"{served.url}/accounts/login/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/two-factor/enrol/**")
    secret = page.locator("code.secret").inner_text().strip()
    page.fill("input[name=code]", totp(secret, time.time()))
    page.click("main form button[type=submit]")
    page.locator(".recovery-codes li").first.wait_for()
    return secret, [item.strip() for item in page.locator(".recovery-codes li").all_inner_texts()]


def _second_factor(page, code: str) -> None:
    page.wait_for_url("**/accounts/login/verify/**")
    page.fill("input[name=code]", code)
    page.click("main form button[type=submit]")
    page.locator("main h1").first.wait_for()
    assert "/accounts/login" not in page.url, page.locator("main").inner_text()


def _step_up_if_asked(page, password: str, recovery: list[str]) -> None:
    if "/accounts/step-up/" in page.url:
        page.fill("input[name=password]", password)
        page.fill("input[name=code]", recovery.pop())
        page.click("main form button[type=submit]")
        page.wait_for_load_state()


def test_this_wasnt_me_to_the_public_notice(serve, chromium, inbox):
    served = serve("--demo", CRM_EMAIL_URL=f"smtp+insecure://127.0.0.1:{inbox.port}")
    password = PASSWORD.search(served.output).group(1)

    # 1. The owner's laptop, then an intruder's browser with the same password.
    laptop = _context(chromium).new_page()
    # Recovery codes stand in for the authenticator app after enrolment: a
    # TOTP code may not be used twice in one 30-second step.
    _secret, recovery = _sign_in(laptop, served, password, secret=None)
    intruder = _context(chromium).new_page()
    intruder.goto(f"{served.url}/accounts/login/")
    intruder.fill("input[name=email]", EMAIL)
    intruder.fill("input[name=password]", password)
    intruder.click("main form button[type=submit]")
    _second_factor(intruder, recovery.pop())
    intruder.goto(f"{served.url}/contacts/")
    assert intruder.url.endswith("/contacts/")
    alerts = len(inbox.bodies())
    link = inbox.wait_for(NOT_ME)

    # 2. "This wasn't me" from the email: a page says what will happen; the POST does it.
    mail = _context(chromium).new_page()
    mail.goto(_local(link, served))
    mail.locator("h1", has_text="Report suspicious activity").wait_for()
    mail.screenshot(path=str(SHOTS / "incident-not-me-en.png"), full_page=True)
    mail.click("main form button[type=submit]")
    mail.locator("h1", has_text="Your account is secured").wait_for()
    assert "2 sessions were ended." in mail.content()
    mail.screenshot(path=str(SHOTS / "incident-not-me-done-en.png"), full_page=True)

    for page in (laptop, intruder):
        page.goto(f"{served.url}/contacts/")
        page.wait_for_url("**/accounts/login/**")
    # The old password no longer works.
    intruder.fill("input[name=email]", EMAIL)
    intruder.fill("input[name=password]", password)
    intruder.click("main form button[type=submit]")
    intruder.wait_for_load_state()
    assert "/accounts/login/verify/" not in intruder.url
    # The same link again changes nothing.
    mail.goto(_local(link, served))
    mail.locator("h1", has_text="This link cannot be used").wait_for()

    # 3. A new password from the reset email, then the owner signs in again.
    reset = inbox.wait_for(RESET, after=alerts)
    laptop.goto(_local(reset, served))
    laptop.fill("input[name=new_password1]", NEW_PASSWORD)
    laptop.fill("input[name=new_password2]", NEW_PASSWORD)
    laptop.click("main form button[type=submit]")
    laptop.wait_for_url("**/accounts/login/**")
    laptop.fill("input[name=email]", EMAIL)
    laptop.fill("input[name=password]", NEW_PASSWORD)
    laptop.click("main form button[type=submit]")
    _second_factor(laptop, recovery.pop())

    laptop.goto(f"{served.url}/incidents/")
    laptop.locator("main table tbody a").first.click()
    laptop.wait_for_url(re.compile(r".*/incidents/[0-9a-f-]{36}/$"))
    incident_url = laptop.url
    assert EMAIL in laptop.locator("h1").inner_text()
    assert "Draft" in laptop.locator(".incident-status").inner_text()
    people = int(laptop.locator("[data-kind=person] [data-decision=pending]").inner_text())
    assert people > 0  # the demo contacts this account created, read from the audit trail
    laptop.screenshot(path=str(SHOTS / "incident-drafted-en.png"), full_page=True)

    # Review: include every one, then write the notice and set the status.
    laptop.locator("form[action$='/affected/review/'] button[name=all]").click()
    laptop.wait_for_url(incident_url)
    included = laptop.locator("[data-kind=person] [data-decision=included]").inner_text()
    assert int(included) == people
    laptop.goto(f"{incident_url}edit/")
    laptop.select_option("select[name=status]", "open")
    laptop.check("input[name=data_categories][value=contact]")
    laptop.fill("textarea[name=cause]", "A password reused from another service.")
    laptop.fill("input[name=notice_title_ja]", "不正ログインに関するお知らせ")
    laptop.fill(
        "textarea[name=notice_body_ja]",
        "当社の CRM で不正なログインがあり、お客様の連絡先が閲覧された可能性があります。",
    )
    laptop.fill("input[name=notice_title_en]", "Notice of an unauthorised sign-in")
    laptop.fill(
        "textarea[name=notice_body_en]",
        "Someone signed in to our CRM and may have seen customers' contact details.",
    )
    laptop.locator("form.incident-form button[type=submit]").click()
    laptop.wait_for_url(incident_url)
    assert "Investigating" in laptop.locator(".incident-status").inner_text()

    # Notify: one email per included person (and the account holder), through the outbox.
    before = len(inbox.bodies())
    laptop.locator("form[action$='/notify/'] button").click()
    _step_up_if_asked(laptop, NEW_PASSWORD, recovery)
    laptop.wait_for_url(incident_url)

    def notice(item) -> bool:
        return (
            "不正ログインに関するお知らせ" in item[2]
            or "Notice of an unauthorised sign-in" in item[2]
        )

    # The account holder, and the people the account's events name.
    inbox.wait_count(lambda item: notice(item) and EMAIL in item[0], 1)
    inbox.wait_count(lambda item: notice(item) and EMAIL not in item[0], 1)
    assert len(inbox.bodies()) > before
    # The page shows the deliveries as the outbox reports them.
    deadline = time.time() + 60
    while time.time() < deadline:
        laptop.goto(incident_url)
        if laptop.locator(".deliveries [data-state=sent]").count():
            break
        time.sleep(1)
    assert laptop.locator(".deliveries [data-state=sent]").count()

    laptop.locator("form[action$='/publish/'] button").click()
    _step_up_if_asked(laptop, NEW_PASSWORD, recovery)
    laptop.wait_for_url(incident_url)
    laptop.screenshot(path=str(SHOTS / "incident-notified-en.png"), full_page=True)
    laptop.goto(f"{incident_url}report/?lang=ja")
    assert "発生の概要" in laptop.content()
    laptop.screenshot(path=str(SHOTS / "incident-report-ja.png"), full_page=True)

    # 4. The public page, without signing in.
    for locale, lang, title, heading in (
        ("ja-JP", "ja", "不正ログインに関するお知らせ", "セキュリティインシデント"),
        ("en-US", "en", "Notice of an unauthorised sign-in", "Security incidents"),
    ):
        visitor = _context(chromium, locale).new_page()
        visitor.goto(f"{served.url}/notices/")
        visitor.locator("h2", has_text=heading).wait_for()
        visitor.locator(".incident-notice h3", has_text=title).wait_for()
        assert EMAIL not in visitor.content()  # no personal data on the public page
        visitor.screenshot(path=str(SHOTS / f"incident-notices-{lang}.png"), full_page=True)
        visitor.locator(".incident-notice h3 a").first.click()
        visitor.locator("h1", has_text=title).wait_for()
        visitor.context.close()
