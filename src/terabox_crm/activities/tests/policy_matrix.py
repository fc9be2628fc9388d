"""The activities app's rows of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                     owner  admin  manager member viewer
    "activities.view":    ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "activities.add":     ("YYY", "YYY", "YYY", "YYY", "---"),
    "activities.change":  ("YYY", "YYY", "YYY", "YYY", "---"),
}  # fmt: skip
