"""The request engine's rows of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                owner  admin  manager member viewer
    "dsr.view":     ("-Y-", "-Y-", "-Y-", "-Y-", "-Y-"),
    "dsr.handle":   ("-Y-", "-Y-", "-Y-", "-Y-", "-Y-"),
    "dsr.settings": ("YYY", "-Y-", "-Y-", "-Y-", "-Y-"),
}  # fmt: skip
