"""The contact and company lists as the shared list anatomy describes them
(``lists.anatomy``, docs/ui.md "Lists"): columns, which of them sort in SQL
(names, emails and phones are encrypted: they do not), and the filters a
saved view keeps."""

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.contacts.models import Stage
from terabox_crm.lists.anatomy import Column, ListSpec

# A lifecycle stage sorts by its place in the lifecycle, not by its code.
STAGE_RANK = Case(
    *[When(stage=value, then=Value(n)) for n, value in enumerate(Stage.values)],
    default=Value(len(Stage.values)),
    output_field=IntegerField(),
)

CONTACTS = ListSpec(
    key="contacts",
    url_name="contacts:list",
    permission="contacts.view",
    default_sort="-created_at",
    filters=("stage", "owner", "tag", "source", "company"),
    columns=(
        Column("name", _("Name"), required=True),
        Column("kana", _("Kana"), nowrap=True, default=False),
        Column("company", _("Company")),
        Column("email", _("Email"), nowrap=True),
        Column("phone", _("Phone"), nowrap=True),
        Column(
            "stage", _("Lifecycle stage"), sort="stage_rank", nowrap=True, expression=STAGE_RANK
        ),
        Column("owner", pgettext_lazy("record owner", "Owner"), nowrap=True),
        Column("tags", _("Tags")),
        Column("source", _("Source"), sort="source", nowrap=True, default=False),
        Column("created_at", _("Created"), sort="created_at", nowrap=True),
        Column("updated_at", _("Updated"), sort="updated_at", nowrap=True, default=False),
    ),
)

COMPANIES = ListSpec(
    key="companies",
    url_name="companies:list",
    permission="companies.view",
    default_sort="-created_at",
    filters=("owner", "tag"),
    columns=(
        Column("name", _("Name"), required=True),
        Column("industry", _("Industry"), sort="industry", nowrap=True),
        Column("website", _("Website"), nowrap=True, default=False),
        Column("phone", _("Phone"), nowrap=True),
        Column("owner", pgettext_lazy("record owner", "Owner"), nowrap=True),
        Column("tags", _("Tags")),
        Column("created_at", _("Created"), sort="created_at", nowrap=True),
        Column("updated_at", _("Updated"), sort="updated_at", nowrap=True, default=False),
    ),
)
