"""The purposes every workspace starts with (P2): the four of the privacy
policy §2 and the operational ones (security, legal obligations), with the
codes of the data inventory (``inventory.Purpose``) so the inventory's
declarations and the gate speak of the same purposes.

Texts are stored per language in the row (an admin may edit them and add
purposes of their own), so the built-in ones are written out here in both
languages rather than through the catalogs. The data migration uses the same
list, frozen (``migrations/0002_builtin_purposes.py``).
"""

from __future__ import annotations

BUILTIN = (
    # code, basis, name ja, name en, description ja, description en
    (
        "support",
        "contract",
        "製品・サービスのサポート",
        "Product and service support",
        "お問い合わせやご依頼への対応、製品・サービスの提供と保守のため。",
        "To answer enquiries and requests and to provide and maintain the products and services.",
    ),
    (
        "communication",
        "consent",
        "業務上の連絡・顧客対応",
        "Business and customer-service communication",
        "取引上のご連絡、ご案内、顧客対応のため。",
        "To contact customers about business, offers and customer service.",
    ),
    (
        "notices",
        "legitimate_interest",
        "サービスに関するお知らせ",
        "Service notices",
        "サービスの変更、規約・ポリシーの改定、メンテナンスなどをお知らせするため。",
        "To announce changes to the service, its terms and policies, and maintenance.",
    ),
    (
        "statistics",
        "consent",
        "統計・サービス改善",
        "Statistics and improvement",
        "個人を特定しない統計の作成と、サービスの改善のため。",
        "To build statistics that identify no one and to improve the service.",
    ),
    (
        "security",
        "legitimate_interest",
        "サービスと利用者の安全確保",
        "Security of the service and its users",
        "不正アクセスや不正利用を防ぎ、調査するため。",
        "To prevent and investigate unauthorised access and misuse.",
    ),
    (
        "legal",
        "legal_obligation",
        "法令上の義務の履行",
        "Legal obligations",
        "法令に基づく記録の保存や、官公庁からの要請に対応するため。",
        "To keep records the law requires and to answer lawful requests from authorities.",
    ),
)


def create_builtin(purpose_model, workspace_id) -> None:
    """Add the built-in purposes ``workspace_id`` lacks (idempotent)."""
    have = set(
        purpose_model._base_manager.filter(workspace_id=workspace_id).values_list("code", flat=True)
    )
    purpose_model._base_manager.bulk_create(
        [
            purpose_model(
                workspace_id=workspace_id,
                code=code,
                lawful_basis=basis,
                name_ja=name_ja,
                name_en=name_en,
                description_ja=description_ja,
                description_en=description_en,
                builtin=True,
            )
            for code, basis, name_ja, name_en, description_ja, description_en in BUILTIN
            if code not in have
        ]
    )
