"""The policies app's rows of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                            owner  admin  manager member viewer
    "policies.processing.view": ("YYY", "YYY", "-YY", "-YY", "-YY"),
}  # fmt: skip
