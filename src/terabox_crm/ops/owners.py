"""The first owner of a workspace, from the command line (``terabox-crm createowner``).

A service of the command-line layer: it creates the account (or checks the
password of an existing one) and then calls ``core.workspaces.workspace_create``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terabox_crm import audit
from terabox_crm.accounts.models import User, email_index_of
from terabox_crm.core.invitations import _clean_email, password_subject_for
from terabox_crm.core.models import Workspace
from terabox_crm.core.roles import Role
from terabox_crm.core.workspaces import _clean_workspace_name, workspace_create
from terabox_crm.refusals import Refusal
from terabox_crm.refusals import recorded_after_rollback as _refusals_recorded


@dataclass(frozen=True)
class OwnerCreated:
    workspace: Workspace
    user: User
    new_user: bool


@_refusals_recorded
@transaction.atomic
def owner_create(*, email: str, workspace_name: str, password: str) -> OwnerCreated:
    """Create a workspace and its first owner (``terabox-crm createowner``).

    No actor argument: the command line acts for nobody; the account it
    creates or checks becomes the actor of ``workspace_create``.

    A new account gets ``password`` after the product's password policy
    (owners always use two-factor: 12+ characters). An existing account is
    attached as owner only when ``password`` is its password, so the command
    cannot be used to take over somebody's account. Recorded on the system
    chain (the account) and on the new workspace's chain (its creation).
    """
    email = _clean_email(email)
    name = _clean_workspace_name(workspace_name)
    user = User.objects.filter(email_index=email_index_of(email)).first()
    new_user = user is None
    if new_user:
        user = User()
        user.set_email(email)
        probe = Workspace(name=name, slug="")
        validate_password(password, password_subject_for(user, probe, Role.OWNER))
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save(force_insert=True)
    elif not user.check_password(password):
        raise Refusal(
            _(
                "An account with this email address already exists and the password does not "
                "match it."
            ),
            code="password_mismatch",
            status=403,
        )
    elif not user.is_active:
        raise Refusal(_("This account is disabled."), code="account_disabled", status=403)
    workspace = workspace_create(actor=user, name=name)
    audit.record(
        "core.owner.created",
        actor=user,
        obj=user,
        payload={"workspace": str(workspace.pk), "new_user": new_user},
    )
    return OwnerCreated(workspace=workspace, user=user, new_user=new_user)
