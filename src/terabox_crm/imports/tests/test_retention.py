"""An import's file does not outlive its use (P5): destroyed with its key a
day after an upload never imported (the hourly job and the retention
target), and the import's personal fields blanked after the audit period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.crypto import keyring
from terabox_crm.imports import retention, services, storage
from terabox_crm.imports.models import Import
from terabox_crm.imports.tests.helpers import csv_bytes, member_of, upload

pytestmark = pytest.mark.django_db

FILE = csv_bytes([["姓", "メール"], ["山田", "yamada@example.jp"]])


def test_an_unused_upload_is_destroyed_a_day_later(cast):
    item = upload(member_of(cast.acme, cast.manager), FILE)
    assert services.imports_expire() == 0
    assert services.imports_expire(timezone.now() + timedelta(days=1, minutes=1)) == 1
    with scopes_disabled():
        item = Import.objects.get(pk=item.pk)
        assert AuditEvent.objects.filter(action="imports.import.expired").count() == 1
    assert (item.status, item.key_id) == ("expired", "")
    assert not storage.path_of(item.pk).exists()


def test_the_retention_targets_find_and_blank_old_imports(cast):
    item = upload(member_of(cast.acme, cast.manager), FILE)
    key_id = item.key_id
    later = timezone.now() + timedelta(days=2)
    with scopes_disabled():
        due = retention._files_pending(workspace_id=cast.acme.pk, cutoff=later, held=set())
        assert list(due.values_list("pk", flat=True)) == [item.pk]
        retention._files_apply(workspace_id=cast.acme.pk, ids=[item.pk], action="shred")
        with pytest.raises(keyring.KeyUnavailable):
            keyring.get_key(key_id)
        old = retention._records_pending(workspace_id=cast.acme.pk, cutoff=later, held=set())
        assert list(old.values_list("pk", flat=True)) == [item.pk]
        retention._records_apply(workspace_id=cast.acme.pk, ids=[item.pk], action="anonymise")
        item = Import.objects.get(pk=item.pk)
    assert (item.file_name, item.headers, item.receipt) == ("", "", "")
