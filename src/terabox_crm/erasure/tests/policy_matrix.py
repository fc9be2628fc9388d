"""Rows of the policy matrix for the erasure app (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                  owner  admin  manager member viewer
    "privacy.erase":  ("-Y-", "-Y-", "-Y-", "-Y-", "-Y-"),
}  # fmt: skip
