"""Personal-data inventory of workspaces and memberships (P1)."""

from django.utils.translation import gettext_lazy as _

from terabox_crm.inventory import Category, Purpose, non_personal, personal

personal(
    "core.Invitation",
    "email",
    category=Category.CONTACT,
    purposes=(Purpose.COMMUNICATION,),
    retention="invitation",
    note=_("address an invitation was sent to"),
)
non_personal(
    "core.Workspace", "name", "slug", why="the name of the customer's organisation, not a person"
)
non_personal("core.Membership", "role", why="role code")
non_personal(
    "core.Invitation",
    "email_index",
    "language",
    "role",
    "token_hash",
    why="blind index, language and role codes, token hash",
)
non_personal("core.Workspace", "record_visibility", why="visibility rule code")
non_personal("core.Workspace", "default_language", why="language code of emails to contacts")
non_personal(
    "core.Workspace",
    "name_prefix_search",
    "name_prefix_progress",
    "name_prefix_changed_at",
    why="a search option, and its job's row counts and cursor (a row id)",
)
non_personal("core.Team", "name", why="the name of a team of the organisation, not a person")
non_personal(
    "core.Evidence",
    "kind",
    "outcome",
    "facts",
    why="the kind and outcome of a check, with ids, counts, sizes and times (never a person)",
)
