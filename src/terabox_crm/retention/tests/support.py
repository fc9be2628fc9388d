"""Helpers for the retention tests: aged rows made through the real services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.contacts.tests.support import make_contact, member_of


def old_lead(membership, *, days: int = 800, **extra) -> Contact:
    contact = make_contact(membership, **extra)
    age(Contact, [contact.pk], days=days)
    return contact


def age(model, ids, *, days: int, fields=("created_at", "updated_at")) -> None:
    when = timezone.now() - timedelta(days=days)
    with scopes_disabled():
        model.objects.filter(pk__in=list(ids)).update(**{name: when for name in fields})


__all__ = ["age", "make_contact", "member_of", "old_lead"]
