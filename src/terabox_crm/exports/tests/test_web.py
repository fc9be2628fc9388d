"""The export screens (S4, S5): the list's button carries its filters, the
form needs a fresh step-up, the file is handed out once through a link that
expires, and every refusal says why in the reader's language."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.exports import writers
from terabox_crm.exports.models import Export
from terabox_crm.exports.tests.helpers import contact_in, file_rows, member_of, request_export
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def _button_url(html: str) -> str:
    start = html.index(reverse("exports:new"))
    return html[start : html.index('"', start)].replace("&amp;", "&")


@pytest.mark.parametrize(
    ("list_url", "query", "resource"),
    [
        ("contacts:list", "stage=customer&q=%E5%B1%B1%E7%94%B0&cursor=abc", "contacts"),
        ("companies:list", "q=Tera&tag=", "companies"),
        ("deals:list", "q=big", "deals"),
        ("support:tickets", "status=all&mine=1", "tickets"),
        ("activities:tasks", "", "activities"),
    ],
)
def test_each_list_has_an_export_button_that_carries_its_filters(
    client, cast, list_url, query, resource
):
    login(client, cast.manager)
    page = client.get(f"{reverse(list_url)}?{query}")
    assert page.status_code == 200
    url = _button_url(page.content.decode())
    carried = parse_qs(urlsplit(url).query)
    assert carried.pop("resource") == [resource]
    expected = {k: v for k, v in parse_qs(query).items() if k != "cursor"}
    assert carried == expected


def test_members_without_the_export_permission_see_no_button(client, cast):
    login(client, cast.member)
    page = client.get(reverse("contacts:list"))
    assert reverse("exports:new") not in page.content.decode()


def test_the_export_form_needs_a_fresh_step_up(client, cast):
    login(client, cast.manager)
    answer = client.get(f"{reverse('exports:new')}?resource=contacts")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("accounts:step_up"))
    login(client, cast.manager, step_up=True)
    assert client.get(f"{reverse('exports:new')}?resource=contacts").status_code == 200


def test_a_member_cannot_export_even_after_a_step_up(client, cast):
    login(client, cast.member, step_up=True)
    assert client.get(f"{reverse('exports:new')}?resource=contacts").status_code == 403


def test_the_form_counts_the_list_and_the_export_keeps_its_filters(
    client, cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager, family="顧客", stage="customer")
    contact_in(manager, family="見込み", stage="lead")
    login(client, cast.manager, step_up=True)
    url = f"{reverse('exports:new')}?resource=contacts&stage=customer"
    form = client.get(url)
    assert "1 件" in form.content.decode() or ">1 " in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {"format": "csv", "purpose": "support", "fields": ["family_name", "stage"]}
        )
    assert done.status_code == 302
    with scopes_disabled():
        item = Export.objects.get()
    assert item.status == "ready" and item.rows == 1 and item.matched == 1
    assert file_rows("csv", b"".join(writers.chunks(item.pk, item.key_id)))[1][0] == "顧客"
    page = client.get(done["Location"])
    assert "SHA-256" in page.content.decode() and item.sha256 in page.content.decode()


def test_a_refused_form_says_why_in_english_and_japanese(client, cast):
    login(client, cast.manager, step_up=True)
    url = f"{reverse('exports:new')}?resource=contacts"
    for language, words in (("en", "Select a valid choice"), ("ja", "正しく選択してください")):
        cast.manager.language = language
        cast.manager.save(update_fields=["language"])
        answer = client.post(url, {"format": "pdf", "purpose": "support"})
        assert answer.status_code == 400
        assert words in answer.content.decode()
    with scopes_disabled():
        assert not Export.objects.exists()


def _download(client, item):
    return client.post(reverse("exports:download", args=[item.pk]))


def test_the_requester_downloads_the_file_once(client, cast, django_capture_on_commit_callbacks):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager, family="山田")
    item = request_export(manager, django_capture_on_commit_callbacks, fields=["family_name"])
    login(client, cast.manager, step_up=True)
    first = _download(client, item)
    assert first.status_code == 200
    assert first["Content-Type"].startswith("text/csv")
    data = b"".join(first.streaming_content)
    assert file_rows("csv", data)[1] == ["山田"]
    assert not writers.path_of(item.pk).exists()  # destroyed after the one download
    second = _download(client, item)
    assert second.status_code == 410
    assert "downloaded already" in second.content.decode() or "ダウンロード済み" in (
        second.content.decode()
    )
    with scopes_disabled():
        item.refresh_from_db()
        refused = AuditEvent.objects.get(action="security.export.download_refused")
        downloaded = AuditEvent.objects.filter(action="exports.export.downloaded").count()
    assert item.status == "downloaded"
    assert refused.payload["reason"] == "already_downloaded"
    assert downloaded == 1


def test_an_expired_link_is_refused_and_recorded(client, cast, django_capture_on_commit_callbacks):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = request_export(manager, django_capture_on_commit_callbacks)
    with scopes_disabled():
        Export.objects.filter(pk=item.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    login(client, cast.manager, step_up=True)
    answer = _download(client, item)
    assert answer.status_code == 410
    with scopes_disabled():
        item.refresh_from_db()
        event = AuditEvent.objects.get(action="security.export.download_refused")
    assert item.status == "ready"  # nothing changed: the hourly job deletes it
    assert event.payload["reason"] == "link_expired"
    assert writers.path_of(item.pk).exists()


def test_someone_else_cannot_download_the_file(client, cast, django_capture_on_commit_callbacks):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = request_export(manager, django_capture_on_commit_callbacks)
    login(client, cast.owner, step_up=True)
    assert _download(client, item).status_code == 403
    with scopes_disabled():
        item.refresh_from_db()
    assert item.status == "ready"


def test_the_download_needs_a_fresh_step_up(client, cast, django_capture_on_commit_callbacks):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = request_export(manager, django_capture_on_commit_callbacks)
    login(client, cast.manager)
    answer = _download(client, item)
    assert answer.status_code == 302 and reverse("accounts:step_up") in answer["Location"]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["You can download the file once", "Family name, Given name"]),
        ("ja", ["ダウンロードできるのは1回", "姓、名"]),
    ],
)
def test_the_export_page_in_both_languages(
    client, cast, django_capture_on_commit_callbacks, language, words
):
    """In the reader's language, with the columns by their labels, never the
    stored keys (family_name)."""
    cast.manager.language = language
    cast.manager.save(update_fields=["language"])
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    item = request_export(manager, django_capture_on_commit_callbacks)
    login(client, cast.manager)
    client.cookies["django_language"] = language
    page = client.get(reverse("exports:detail", args=[item.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert all(word in html for word in words), words
    assert "family_name" not in html


def test_the_progress_bar_is_recorded_and_polled_while_running(
    client, cast, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    with scopes_disabled():
        from terabox_crm.exports import services

        item = services.export_request(
            membership=manager, resource="contacts", format="csv", purpose="support"
        )
        Export.objects.filter(pk=item.pk).update(status="running", progress=1, matched=4)
    login(client, cast.manager)
    page = client.get(reverse("exports:progress", args=[item.pk]))
    html = page.content.decode()
    assert 'value="25"' in html and "every 2s" in html
    with scopes_disabled():
        Export.objects.filter(pk=item.pk).update(status="queued")
    services.export_build(item.pk)
    html = client.get(reverse("exports:progress", args=[item.pk])).content.decode()
    assert "every 2s" not in html and 'value="100"' in html


def test_the_list_of_exports_has_no_n_plus_one(
    client, cast, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    manager = member_of(cast.acme, cast.manager)
    contact_in(manager)
    for _ in range(6):
        request_export(manager, django_capture_on_commit_callbacks)
    login(client, cast.owner)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("exports:list"))
    assert page.content.decode().count(reverse("exports:list")) >= 1
    assert page.content.decode().count("/exports/") >= 6


@pytest.mark.parametrize(
    ("language", "support"),
    [("ja", "製品・サービスのサポート"), ("en", "Product and service support")],
)
def test_the_count_can_be_asked_again_for_another_purpose(client, cast, language, support):
    """The preview's "Count for the purpose" offers the workspace's purposes,
    the one counted chosen (the form's columns field is named ``fields``, so
    ``form.fields`` in the template named that field, and the select was
    empty)."""
    from terabox_crm.web.tests.html import parse

    login(client, cast.manager, step_up=True)
    html = client.get(
        f"{reverse('exports:new')}?resource=contacts&purpose=communication",
        HTTP_ACCEPT_LANGUAGE=language,
    ).content
    [select] = [s for s in parse(html).find_all("select") if s.attrs.get("id") == "count-purpose"]
    options = {o.attrs["value"]: o for o in select.find_all("option")}
    assert {"support", "communication"} <= set(options)
    assert options["support"].text().strip() == support
    assert "selected" in options["communication"].attrs
