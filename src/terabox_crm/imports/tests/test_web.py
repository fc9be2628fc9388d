"""The import screens (SPEC §2): the Import button beside Export on the
contact and company lists, the upload, the mapping the member can change,
the dry run and the import with its progress, in Japanese and English; a
viewer is refused; another workspace's import is a 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.imports.models import Import
from terabox_crm.imports.tests.helpers import csv_bytes, member_of, upload
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

FILE = csv_bytes([["姓", "名", "メール", "備考欄"], ["山田", "花子", "hanako@example.jp", "メモ"]])


@pytest.mark.parametrize(
    ("list_url", "resource"), [("contacts:list", "contacts"), ("companies:list", "companies")]
)
def test_the_lists_have_an_import_button_for_managers(client, cast, list_url, resource):
    login(client, cast.manager)
    html = client.get(reverse(list_url), secure=True).content.decode()
    assert f"{reverse('imports:new')}?resource={resource}" in html


def test_a_viewer_sees_no_import_button_and_is_refused(client, cast):
    login(client, cast.viewer)
    html = client.get(reverse("contacts:list"), secure=True).content.decode()
    assert reverse("imports:new") not in html
    assert client.get(reverse("imports:new"), secure=True).status_code == 403
    response = client.post(
        reverse("imports:new"),
        {"resource": "contacts", "file": SimpleUploadedFile("a.csv", FILE)},
        secure=True,
    )
    assert response.status_code == 403
    with scopes_disabled():
        assert not Import.objects.exists()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", ["インポート", "ドライラン", "インポートしない", "姓"]),
        ("en", ["Import of contacts", "Dry run", "Do not import", "Family name"]),
    ],
)
def test_upload_map_dry_run_and_import_in_each_language(
    client, cast, django_capture_on_commit_callbacks, language, words
):
    login(client, cast.manager)
    client.cookies["django_language"] = language
    response = client.post(
        reverse("imports:new"),
        {"resource": "contacts", "file": SimpleUploadedFile("people.csv", FILE)},
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    detail = response["Location"]
    page = client.get(detail, secure=True, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for word in words:
        assert word in page
    # The unknown 備考欄 column is left out; the member maps it to the notes.
    form = {
        "column_0": "family_name",
        "column_1": "given_name",
        "column_2": "email",
        "column_3": "notes",
        "source": "import",
        "on_duplicate": "skip",
    }
    with django_capture_on_commit_callbacks(execute=True):
        dry = client.post(
            detail, {**form, "run": "dry"}, secure=True, HTTP_ACCEPT_LANGUAGE=language
        )
    assert dry.status_code == 302
    with scopes_disabled():
        assert not Contact.objects.exists()
    page = client.get(detail, secure=True, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'id="import-counts"' in page
    with django_capture_on_commit_callbacks(execute=True):
        real = client.post(
            detail, {**form, "run": "real"}, secure=True, HTTP_ACCEPT_LANGUAGE=language
        )
    assert real.status_code == 302
    with scopes_disabled():
        contact = Contact.objects.get()
        assert contact.notes == "メモ"
    progress = client.get(detail + "progress/", secure=True).content.decode()
    assert "hx-get" not in progress  # done: the bar stops polling
    report = client.get(detail + "report/", secure=True)
    assert report.status_code == 200 and "山田" not in b"".join(report.streaming_content).decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [("ja", "UTF-8でもShift_JISでもありません"), ("en", "neither UTF-8 nor Shift_JIS")],
)
def test_a_file_in_another_encoding_is_refused_in_the_readers_language(
    client, cast, language, message
):
    login(client, cast.manager)
    client.cookies["django_language"] = language
    response = client.post(
        reverse("imports:new"),
        {"resource": "contacts", "file": SimpleUploadedFile("a.csv", b"a,b\r\n\x81\x20\xe5\r\n")},
        secure=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_another_workspaces_import_is_not_found(client, cast):
    outsider = member_of(cast.globex, cast.outsider)
    item = upload(outsider, FILE)
    login(client, cast.owner)
    for suffix in ("", "progress/", "report/"):
        url = reverse("imports:detail", args=[item.pk]) + suffix
        assert client.get(url, secure=True).status_code == 404, url


def test_a_manager_sees_only_their_own_imports(client, cast):
    other = upload(member_of(cast.acme, cast.admin), FILE)
    login(client, cast.manager)
    assert client.get(reverse("imports:detail", args=[other.pk]), secure=True).status_code == 404
    login(client, cast.owner)
    assert client.get(reverse("imports:detail", args=[other.pk]), secure=True).status_code == 200


def _uploaded(client, data: bytes, resource="contacts") -> str:
    response = client.post(
        reverse("imports:new"),
        {"resource": resource, "file": SimpleUploadedFile("people.csv", data)},
        secure=True,
    )
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.parametrize(
    ("language", "legend", "receipt", "evidence_help"),
    [
        ("ja", "データの取得元", "第三者からの提供", "署名済みの書面やメールの保管場所"),
        ("en", "Where the data comes from", "Received from a third party", "signed form"),
    ],
)
def test_the_source_and_consent_receipt_are_one_fieldset(
    client, cast, language, legend, receipt, evidence_help
):
    """The mapping step's source and third-party receipt (P4; docs/ui.md
    "Imports"): a fieldset with a legend and help; the receipt's fields in
    their own fieldset, which the stylesheet shows only for a third party;
    the consent date is the product's date box; a companies import has none."""
    login(client, cast.manager)
    client.cookies["django_language"] = language
    detail = _uploaded(client, FILE)
    page = client.get(detail, secure=True, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    source = page.split('<fieldset class="import-source stack"', 1)[1]
    assert f"<legend><h2>{legend}</h2></legend>" in source
    assert 'type="radio" name="source" value="third_party"' in source
    inner = source.split('<fieldset class="consent-receipt stack"', 1)[1].split("</fieldset>")[0]
    assert f"<legend>{receipt}</legend>" in inner and evidence_help in inner
    for name in ("provider", "obtained_how", "consent_by", "consent_at", "consent_evidence"):
        assert f'name="{name}"' in inner
    assert 'type="date"' not in inner and 'class="date-part date-only"' in inner
    companies = _uploaded(client, csv_bytes([["会社名"], ["さくら物流"]]), resource="companies")
    page = client.get(companies, secure=True).content.decode()
    assert "consent-receipt" not in page and 'name="source"' not in page


def test_a_third_party_import_without_its_receipt_keeps_the_receipt_open(client, cast):
    login(client, cast.manager)
    detail = _uploaded(client, FILE)
    response = client.post(
        detail,
        {
            "column_0": "family_name",
            "column_1": "given_name",
            "source": "third_party",
            "on_duplicate": "skip",
            "run": "dry",
        },
        secure=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = response.content.decode()
    assert response.status_code == 400
    radio = page.split('value="third_party"', 1)[1].split(">", 1)[0]
    assert "checked" in radio
    assert "Name the third party that provided the data." in page
