"""The privacy app's rows of the policy matrix (core/tests/test_policy_matrix.py)."""

MATRIX = {
    #                            owner  admin  manager member viewer
    "privacy.inventory.view":   ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "privacy.purposes.view":    ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "privacy.purposes.manage":  ("YYY", "YYY", "-Y-", "-Y-", "-Y-"),
    "privacy.consent.view":     ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "privacy.consent.record":   ("YYY", "YYY", "YYY", "YYY", "-Y-"),
    "privacy.restriction.set":  ("YYY", "YYY", "YYY", "-Y-", "-Y-"),
    "privacy.restriction.lift": ("YYY", "-Y-", "-Y-", "-Y-", "-Y-"),
    "privacy.records.view":     ("YYY", "YYY", "-YY", "-YY", "-YY"),
}  # fmt: skip
