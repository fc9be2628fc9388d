"""Personal-data inventory of in-app notifications (P1)."""

from terabox_crm.inventory import non_personal

non_personal(
    "notifications.Notification",
    "kind",
    "params",
    why="a kind name and ids; text and names are rendered at read time",
)
