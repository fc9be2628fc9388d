"""Rows of the contacts app in the policy matrix (core/tests/test_policy_matrix.py).

Without an object: everybody reads; members and up create, change, delete
and merge (the object rules then narrow writes to one's own and one's team's
records — tested in test_visibility.py)."""

MATRIX = {
    #                     owner  admin  manager member viewer
    "contacts.view":      ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "contacts.add":       ("YYY", "YYY", "YYY", "YYY", "---"),
    "contacts.change":    ("YYY", "YYY", "YYY", "YYY", "---"),
    "contacts.delete":    ("YYY", "YYY", "YYY", "YYY", "---"),
    "contacts.merge":     ("YYY", "YYY", "YYY", "YYY", "---"),
    "companies.view":     ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "companies.add":      ("YYY", "YYY", "YYY", "YYY", "---"),
    "companies.change":   ("YYY", "YYY", "YYY", "YYY", "---"),
    "companies.delete":   ("YYY", "YYY", "YYY", "YYY", "---"),
}  # fmt: skip
