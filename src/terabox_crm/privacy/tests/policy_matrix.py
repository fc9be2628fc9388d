"""The privacy app's rows of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                          owner  admin  manager member viewer
    "privacy.inventory.view": ("YYY", "YYY", "YYY", "YYY", "YYY"),
}  # fmt: skip
