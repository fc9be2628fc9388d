"""Rows of the policy matrix for the API app's actions (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                        owner  admin  manager member viewer
    "api.tokens.manage":    ("YYY", "YYY", "YYY", "YYY", "YYY"),
}  # fmt: skip
