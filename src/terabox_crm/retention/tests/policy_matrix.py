"""The retention app's rows of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                          owner  admin  manager member viewer
    "retention.rules.view":    ("YYY", "YYY", "-Y-", "-Y-", "-Y-"),
    "retention.rules.change":  ("YYY", "YYY", "-Y-", "-Y-", "-Y-"),
    "retention.holds.view":    ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "retention.holds.change":  ("YYY", "YYY", "-Y-", "-Y-", "-Y-"),
}  # fmt: skip
