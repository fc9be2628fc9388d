"""The deals app's rows of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                     owner  admin  manager member viewer
    "deals.view":         ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "deals.add":          ("YYY", "YYY", "YYY", "YYY", "---"),
    "deals.change":       ("YYY", "YYY", "YYY", "YYY", "---"),
    "deals.delete":       ("YYY", "YYY", "YYY", "YYY", "---"),
    "pipelines.manage":   ("YYY", "YYY", "---", "---", "---"),
}  # fmt: skip
