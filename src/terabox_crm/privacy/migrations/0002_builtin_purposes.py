"""Every existing workspace gets the built-in purposes (P2). The list is a
frozen copy of ``privacy/defaults.py`` at the time of this migration: a later
edit there must not change what this migration did."""

from django.db import migrations

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


def add_builtin(apps, schema_editor):
    Workspace = apps.get_model("core", "Workspace")
    Purpose = apps.get_model("privacy", "Purpose")
    for workspace_id in Workspace.objects.values_list("pk", flat=True).iterator():
        have = set(
            Purpose.objects.filter(workspace_id=workspace_id).values_list("code", flat=True)
        )
        Purpose.objects.bulk_create(
            [
                Purpose(
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


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial"), ("core", "0004_workspace_name_prefix_search")]

    operations = [migrations.RunPython(add_builtin, migrations.RunPython.noop)]
