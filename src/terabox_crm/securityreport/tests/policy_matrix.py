"""The security report's row of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                   owner  admin  manager member viewer
    "security.report": ("YYY", "---", "---", "---", "---"),
}  # fmt: skip
