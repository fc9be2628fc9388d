"""What the security report's checks read (S8, S10): counts and dates only,
each one query (or a few grouped ones) whatever the number of rows — never a
list of people, never a row loaded to be counted.

With no ``workspace_id`` they cover the whole installation (the operator's
view, ``security report``): two-factor coverage by role counts every active
user by each role they hold in any workspace. With one, a workspace owner's
page: that workspace's members, tokens and requests only (S8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.accounts.models import User
from terabox_crm.audit.models import ChainHead, Checkpoint
from terabox_crm.core.models import Membership
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey
from terabox_crm.dsr.models import OPEN_STATUSES, PrivacyRequest

STALE = timedelta(days=90)


@dataclass(frozen=True)
class KeyFacts:
    master_kek_id: str
    master_source: str  # "env", "file", "command", "generated"
    rotation_new_kek_id: str | None
    foreign: int  # data keys under a master key this process does not hold
    data_keys: int  # live workspace/system keys (person keys apart)
    person_keys: int
    old_keys: int  # active workspace/system encryption keys older than ``max_age``
    oldest_days: int | None


def key_facts(*, max_age: timedelta) -> KeyFacts:
    kek_id, _raw = keyring.configured()
    state = keyring.rotation()
    live = DataKey.objects.exclude(status=DataKey.Status.DESTROYED)
    now = timezone.now()
    counts = live.aggregate(
        people=Count("key_id", filter=Q(scope__startswith="subject:")),
        others=Count("key_id", filter=~Q(scope__startswith="subject:")),
        old=Count(
            "key_id",
            filter=~Q(scope__startswith="subject:")
            & Q(status=DataKey.Status.ACTIVE, purpose=DataKey.Purpose.ENCRYPTION)
            & Q(created_at__lt=now - max_age),
        ),
        oldest=Min(
            "created_at",
            filter=~Q(scope__startswith="subject:")
            & Q(status=DataKey.Status.ACTIVE, purpose=DataKey.Purpose.ENCRYPTION),
        ),
    )
    return KeyFacts(
        master_kek_id=kek_id,
        master_source=keyring.configured_source().kind,
        rotation_new_kek_id=state.new_id if state is not None else None,
        foreign=sum(keyring.foreign_kek_counts().values()),
        data_keys=counts["others"],
        person_keys=counts["people"],
        old_keys=counts["old"],
        oldest_days=None if counts["oldest"] is None else (now - counts["oldest"]).days,
    )


def mfa_coverage(*, workspace_id=None) -> dict[str, tuple[int, int]]:
    """``{role: (active users holding it, of whom with a confirmed authenticator)}``."""
    with scopes_disabled():
        memberships = Membership.objects.filter(user__is_active=True)
        if workspace_id is not None:
            memberships = memberships.filter(workspace_id=workspace_id)
        rows = (
            memberships.values("role")
            .annotate(
                total=Count("user", distinct=True),
                covered=Count("user", distinct=True, filter=Q(user__totp_device__confirmed=True)),
            )
            .order_by()
        )
        return {row["role"]: (row["total"], row["covered"]) for row in rows}


def inactive_accounts(*, now=None, workspace_id=None) -> int:
    """Active accounts with no sign-in for ``STALE`` (or never, joined before that)."""
    cut = (now or timezone.now()) - STALE
    users = User.objects.filter(is_active=True)
    if workspace_id is not None:
        with scopes_disabled():
            users = users.filter(
                pk__in=Membership.objects.filter(workspace_id=workspace_id).values("user_id")
            )
    return users.filter(
        Q(last_login__lt=cut) | Q(last_login__isnull=True, date_joined__lt=cut)
    ).count()


def checkpoint_facts() -> dict:
    """The newest signed checkpoint and how many events no checkpoint covers yet."""
    newest = Checkpoint.objects.aggregate(at=Max("created_at"))["at"]
    signed = dict(
        Checkpoint.objects.values("chain").annotate(seq=Max("seq")).values_list("chain", "seq")
    )
    uncovered = sum(
        max(0, seq - signed.get(chain, 0))
        for chain, seq in ChainHead.objects.values_list("chain", "seq")
    )
    return {"last_checkpoint_at": newest, "uncovered_events": uncovered}


def overdue_requests(*, now=None, workspace_id=None) -> dict[str, int]:
    now = now or timezone.now()
    with scopes_disabled():
        requests = PrivacyRequest.objects.filter(status__in=OPEN_STATUSES)
        if workspace_id is not None:
            requests = requests.filter(workspace_id=workspace_id)
        return requests.aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
