"""The export rows of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                   owner  admin  manager member viewer
    "exports.create":   ("YYY", "YYY", "YYY", "---", "---"),
    "exports.view":     ("YYY", "YYY", "YYY", "---", "---"),
    "exports.approve":  ("YYY", "YYY", "---", "---", "---"),
    "exports.settings": ("YYY", "---", "---", "---", "---"),
}  # fmt: skip
