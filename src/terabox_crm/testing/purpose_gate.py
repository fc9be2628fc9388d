"""The purpose-gate conformance test (P2, P3, P7): run it on every channel.

A channel that uses a contact's data (a webhook, an email naming a contact, a
reminder, an export, statistics, an import) asks the purpose gate
(``privacy.gate.check``) for the purpose it serves. This checks it does,
end to end, with the channel's own code::

    from terabox_crm.testing.purpose_gate import assert_channel_gated

    def test_webhooks_ask_the_gate(cast, …):
        assert_channel_gated(
            workspace=cast.acme,
            membership=member,              # who makes and restricts the contacts
            purpose="communication",        # the purpose the channel serves
            channel="webhooks",             # the name it gives the gate
            act=lambda contact: …,          # make the channel act on this contact
            reached=lambda contact: …,      # did anything reach the receiver?
        )

It makes three contacts through the contacts services: one the purpose may
use (with consent when the purpose's basis is consent), one whose consent is
withdrawn and one restricted (利用停止). It asserts that the channel reaches
the first and neither of the others, and that each refusal is on the audit
trail (``privacy.gate.refused``) with its reason and the channel's name.
For a purpose that needs no consent (a contract, a legitimate interest) a
withdrawal changes nothing; the withdrawn contact is then expected to be
reached, and only the restricted one refused.
"""

from __future__ import annotations

from collections.abc import Callable

from django_scopes import scope, scopes_disabled

from terabox_crm.accounts.models import User
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts import services as contacts
from terabox_crm.core.models import Membership
from terabox_crm.core.roles import Role
from terabox_crm.privacy import gate
from terabox_crm.privacy import services as privacy
from terabox_crm.privacy.models import Purpose
from terabox_crm.testing import factories


def _officer(workspace) -> Membership:
    """The workspace's privacy officer for these checks (made on first use)."""
    email = f"gate-officer-{workspace.pk.hex[:8]}@example.com"
    user = User.objects.find_by_email(email)
    if user is None:
        user = factories.make_user(email)
        factories.add_member(workspace, user, Role.ADMIN, is_privacy_officer=True)
    with scope(workspace=workspace):
        return Membership.objects.select_related("workspace", "user").get(
            workspace=workspace, user=user
        )


def refusals_logged(workspace, *, channel: str) -> dict[str, str]:
    """``{subject id: reason code}`` of the gate's refusals logged for ``channel``."""
    found: dict[str, str] = {}
    with scopes_disabled():
        for payload in AuditEvent.objects.filter(
            action=gate.REFUSED_ACTION, chain=str(workspace.pk)
        ).values_list("payload", flat=True):
            if payload.get("channel") == channel:
                found.update(payload.get("subjects", {}))
    return found


def assert_channel_gated(
    *,
    workspace,
    membership: Membership,
    purpose: str,
    channel: str,
    act: Callable[[object], object],
    reached: Callable[[object], bool],
) -> None:
    officer = _officer(workspace)
    with scope(workspace=workspace):
        needs_consent = Purpose.objects.get(workspace=workspace, code=purpose).needs_consent
        made = {}
        for name in ("allowed", "withdrawn", "restricted"):
            made[name] = contacts.contact_create(
                membership=membership,
                data=contacts.ContactData(family_name="ゲート", given_name=name),
            )
        for name in ("allowed", "withdrawn", "restricted"):
            privacy.consent_grant(
                membership=officer, subject_id=made[name].pk, purpose=purpose, channel="web_form"
            )
        privacy.consent_withdraw(
            membership=officer, subject_id=made["withdrawn"].pk, purpose=purpose, channel="email"
        )
        privacy.restriction_set(
            membership=officer,
            subject_id=made["restricted"].pk,
            reason="conformance test",
            requested_by="the person",
        )
    for contact in made.values():
        act(contact)
    assert reached(made["allowed"]), f"{channel}: the allowed contact was not reached"  # nosec B101  # a test helper's check
    assert not reached(made["restricted"]), f"{channel}: a restricted contact was reached"  # nosec B101  # a test helper's check
    if needs_consent:
        assert not reached(made["withdrawn"]), f"{channel}: a withdrawn contact was reached"  # nosec B101  # a test helper's check
    else:
        assert reached(made["withdrawn"]), f"{channel}: {purpose} needs no consent"  # nosec B101  # a test helper's check
    logged = refusals_logged(workspace, channel=channel)
    assert logged.get(str(made["restricted"].pk)) == gate.RESTRICTED, (  # nosec B101  # a test helper's check
        f"{channel}: the refusal of the restricted contact was not logged: {logged}"
    )
    if needs_consent:
        assert logged.get(str(made["withdrawn"].pk)) == gate.WITHDRAWN, (  # nosec B101  # a test helper's check
            f"{channel}: the refusal of the withdrawn contact was not logged: {logged}"
        )
    assert str(made["allowed"].pk) not in logged  # nosec B101  # a test helper's check
