"""The retention column of the record of processing (P5, P10): per data
category, the inventory's promise and, beside it, each retention rule of the
workspace that is switched on for data kept under that promise, as it will
run (period, action). Registered with ``policies.processing`` by
``RetentionConfig.ready()``."""

from __future__ import annotations

from django.utils.translation import gettext

from terabox_crm import inventory
from terabox_crm.retention import engine
from terabox_crm.retention.models import RetentionRule


def rules_by_category(workspace) -> dict[str, list[str]]:
    actions = dict(RetentionRule.ActionChoice.choices)
    running: dict[str, list[str]] = {}
    for rule in engine.effective_rules(workspace.pk):
        if rule.enabled:
            running.setdefault(rule.target.inventory_retention, []).append(
                gettext("%(data)s: %(action)s after %(days)s days")
                % {
                    "data": rule.target.label,
                    "action": str(actions.get(rule.action, rule.action)).lower(),
                    "days": f"{rule.days:,}",
                }
            )
    found: dict[str, list[str]] = {}
    for item in inventory.personal_fields():
        labels = found.setdefault(item.category, [])
        for label in (
            str(inventory.RETENTION[item.retention].label),
            *running.get(item.retention, ()),
        ):
            if label not in labels:
                labels.append(label)
    return found
