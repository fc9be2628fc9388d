"""Personal-data inventory of API tokens (P1)."""

from terabox_crm.inventory import non_personal

non_personal(
    "api.ApiToken",
    "name",
    "prefix",
    "token_hash",
    "scopes",
    why="a label the user gives a credential, its public prefix, a one-way hash of "
    "the random secret and scope names",
)
