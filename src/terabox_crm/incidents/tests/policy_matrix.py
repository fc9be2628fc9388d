"""The incidents app's rows of the policy matrix (core/tests/test_policy_matrix.py):
admins and privacy officers (S13)."""

MATRIX = {
    #                     owner  admin  manager member viewer
    "incidents.view":     ("YYY", "YYY", "-Y-", "-Y-", "-Y-"),
    "incidents.manage":   ("YYY", "YYY", "-Y-", "-Y-", "-Y-"),
    "incidents.notify":   ("YYY", "YYY", "-Y-", "-Y-", "-Y-"),
}  # fmt: skip
