"""Rows of the policy matrix for the webhooks app (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                        owner  admin  manager member viewer
    "webhooks.manage":      ("YYY", "YYY", "---", "---", "---"),
}  # fmt: skip
