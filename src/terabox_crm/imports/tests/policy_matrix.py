"""The import rows of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                  owner  admin  manager member viewer
    "imports.create": ("YYY", "YYY", "YYY", "---", "---"),
    "imports.view":   ("YYY", "YYY", "YYY", "---", "---"),
}  # fmt: skip
