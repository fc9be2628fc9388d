"""Shared steps of the request engine's tests."""

from __future__ import annotations

import email
import re
from email import policy

from django.urls import reverse
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts import services as contacts
from terabox_crm.core.models import Membership
from terabox_crm.dsr import services
from terabox_crm.dsr.models import PrivacyRequest

LINK = re.compile(r"https://\S+")


def make_contact(membership, address: str, family: str = "山田", given: str = "太郎"):
    with scope(workspace=membership.workspace):
        return contacts.contact_create(
            membership=membership,
            data=contacts.ContactData(
                family_name=family,
                given_name=given,
                emails=[contacts.EmailIn(value=address, is_primary=True)],
            ),
        )


def make_officer(membership) -> Membership:
    with scopes_disabled():
        membership.is_privacy_officer = True
        membership.save(update_fields=["is_privacy_officer"])
    return membership


def record_by_email(membership, **changes) -> PrivacyRequest:
    """A request an officer recorded from an email (``services.request_record``),
    a restriction from hanako@example.jp unless ``changes`` say otherwise."""
    values = {
        "kind": "restriction",
        "channel": "email",
        "email": "hanako@example.jp",
        "identity_check": "Wrote from the address we hold.",
    }
    values.update(changes)
    return services.request_record(membership=membership, **values)


def messages_to(smtp_server, address: str) -> list:
    found = []
    for envelope in smtp_server.messages:
        if address in envelope.rcpt_tos:
            found.append(email.message_from_bytes(envelope.content, policy=policy.default))
    return found


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message, name: str) -> str:
    for url in LINK.findall(body_of(message)):
        if f"/privacy/request/{name}/" in url:
            return url.split("/privacy/request/", 1)[1].split("/")[1]
    raise AssertionError(f"no {name} link in {body_of(message)!r}")


def file_request(client, address: str, kind: str = "deletion", details: str = "", path=None):
    return client.post(
        path or reverse("dsr_public:request"),
        {"email": address, "kind": kind, "details": details},
    )


def requests_in(workspace) -> list[PrivacyRequest]:
    with scope(workspace=workspace):
        return list(PrivacyRequest.objects.filter(workspace=workspace))
