"""The support app's rows of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                     owner  admin  manager member viewer
    "tickets.view":       ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "tickets.add":        ("YYY", "YYY", "YYY", "YYY", "---"),
    "tickets.change":     ("YYY", "YYY", "YYY", "YYY", "---"),
}  # fmt: skip
