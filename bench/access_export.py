"""The access-export benchmark (P9, issue target: < 2 s): the export of one
person with 1,000 activities in a workspace of ``--contacts`` contacts.

Times, through the request engine's own services:

- ``find_subjects``: the blind-index lookup of the person's address (what
  routing does per workspace);
- ``export_build``: the whole job — collectors read the person's rows in
  batches, the zip (JSON + CSV) is written and sealed chunk by chunk under a
  new per-export key, the row is marked ready, the link email queued (and
  delivered by the file backend) and the audit event written;
- ``write_only``: the sealed zip alone, without the job's bookkeeping.

Run on a seeded database: ``bench/run.py --phase access-export --data-dir …``
(or ``--smoke`` for a 2,000-contact workspace seeded on the spot).
"""

from __future__ import annotations

import time


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def access_export(workspace, owner, *, activities: int = 1000, repeat: int = 5) -> dict:
    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    from terabox_crm.activities.models import Activity
    from terabox_crm.contacts.models import Contact, ContactEmail
    from terabox_crm.crypto import normalise
    from terabox_crm.dsr import export, registry, services
    from terabox_crm.dsr.models import AccessExport, Kind, PrivacyRequest, email_index_of

    with scope(workspace=workspace):
        row = ContactEmail.objects.filter(workspace=workspace).order_by("contact_id").first()
        contact = Contact.objects.get(pk=row.contact_id)
        address = normalise.email(row.value, check=False)
        missing = activities - Activity.objects.filter(contact=contact).count()
        for start in range(0, max(missing, 0), 1000):
            Activity.objects.bulk_create(
                Activity(
                    workspace=workspace,
                    kind="call",
                    subject=f"Call {start + i}",
                    body="Talked about the renewal and the next steps for the account.",
                    occurred_at=contact.created_at,
                    contact=contact,
                    owner=owner,
                )
                for i in range(min(1000, missing - start))
            )
        found_at = time.perf_counter()
        subjects = registry.find_subjects(workspace.pk, address)
        find_seconds = time.perf_counter() - found_at
        number = (PrivacyRequest.objects.filter(workspace=workspace).count() or 0) + 1
        now = timezone.now()
        request = PrivacyRequest.objects.create(
            workspace=workspace,
            number=number,
            kind=Kind.ACCESS,
            email=address,
            email_index=email_index_of(address),
            language="ja",
            subject_ids=subjects,
            received_at=now,
            due_at=now,
        )

    builds, rows, size = [], 0, 0
    for _ in range(repeat):
        with scope(workspace=workspace):
            item = AccessExport.objects.create(workspace=workspace, request=request)
        started = time.perf_counter()
        services.export_build(item.pk)
        builds.append(time.perf_counter() - started)
        with scopes_disabled():
            item.refresh_from_db()
        rows, size = item.rows, item.size
        export.destroy(item.pk, item.key_id)

    writes = []
    for _ in range(repeat):
        with scopes_disabled():
            item = AccessExport.objects.create(workspace=workspace, request=request)
            started = time.perf_counter()
            key_id, _size, _rows = export.write(
                item.pk, registry.sections(workspace.pk, subjects), meta={}
            )
            writes.append(time.perf_counter() - started)
        export.destroy(item.pk, key_id)

    builds.sort()
    writes.sort()
    return {
        "activities": activities,
        "subjects_found": len(subjects),
        "rows_exported": rows,
        "zip_bytes": size,
        "find_subjects_ms": _ms(find_seconds),
        "export_build_ms": {"min": _ms(builds[0]), "p50": _ms(builds[len(builds) // 2])},
        "write_only_ms": {"min": _ms(writes[0]), "p50": _ms(writes[len(writes) // 2])},
    }
