"""Contacts' query-string ids and names, tried with another workspace's (S6).

The walk of every URL with foreign path ids is one test for the whole
project (``core/tests/test_cross_workspace.py``)."""

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from terabox_crm.contacts.tests.cross_workspace_ids import QUERY_URLS, foreign_company
from terabox_crm.testing.cross_workspace import Foreign


@pytest.fixture
def foreign(cast) -> Foreign:
    return Foreign(workspace=cast.globex, owner=cast.outsider, membership=cast.outsider_membership)


@pytest.mark.parametrize("name", sorted(QUERY_URLS))
def test_query_string_ids_and_names_find_nothing_foreign(client, cast, foreign, name):
    from terabox_crm.testing.auth import login

    company = foreign_company(foreign)
    asked = f"{reverse(name)}?{urlencode(QUERY_URLS[name](company))}"
    login(client, cast.owner)
    response = client.get(asked, secure=True, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode().replace(asked, "").replace(asked.replace("&", "&amp;"), "")
    # The picker's "no company matches …" and 「＋新規作成」 repeat what was typed.
    body = re.sub(r'<li class="picker-empty".*?</li>', "", body)
    body = re.sub(r'<li role="option" id="company-option-new".*?</li>', "", body)
    for secret in (str(company.value), *company.identifying, cast.globex.name):
        assert secret not in body
