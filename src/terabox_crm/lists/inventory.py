"""Data inventory of the list preferences (P1): no personal data."""

from terabox_crm.inventory import non_personal

non_personal(
    "lists.ListColumns", "list_key", "columns", why="which list and the names of its shown columns"
)
non_personal(
    "lists.ListView",
    "list_key",
    "name",
    "params",
    why="a list view's name and its filters as ids and codes (never a search text)",
)
