"""Helpers for the retention tests: aged rows made through the real services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.contacts.models import Contact
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.retention import engine, services


def old_lead(membership, *, days: int = 800, **extra) -> Contact:
    contact = make_contact(membership, **extra)
    age(Contact, [contact.pk], days=days)
    return contact


def age(model, ids, *, days: int, fields=("created_at", "updated_at")) -> None:
    when = timezone.now() - timedelta(days=days)
    with scopes_disabled():
        model.objects.filter(pk__in=list(ids)).update(**{name: when for name in fields})


def enable_rule(membership, target, days, action) -> None:
    services.rule_set(membership=membership, target=target, days=days, action=action, enabled=True)


def only_rules(cast, *targets) -> None:
    """Only these workspace rules run (the engine defaults are switched off)."""
    for rule in engine.effective_rules(cast.acme.pk):
        if rule.target.code not in targets and rule.enabled:
            services.rule_set(
                membership=cast.owner_membership,
                target=rule.target.code,
                days=rule.days,
                action=rule.action,
                enabled=False,
            )


__all__ = ["age", "enable_rule", "make_contact", "member_of", "old_lead", "only_rules"]
