"""The living CRM of the demo workspace (SPEC §2, the demo): Japanese and
English companies and people with kana readings, deals across two
pipelines, activities, tasks and support tickets.

Written once, when the demo workspace is created, through the same services
staff use, so every row is encrypted, indexed and audited like real data.
All names, addresses and numbers are invented (example.jp / example.com,
phone numbers in the 03-0000 range that no one is assigned).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone, translation
from django_scopes import scope

from terabox_crm.activities import services as activity_services
from terabox_crm.contacts import services as contact_services
from terabox_crm.core.models import Membership
from terabox_crm.deals import services as deal_services
from terabox_crm.dsr import fulfilment as dsr_fulfilment
from terabox_crm.dsr import services as dsr_services
from terabox_crm.privacy import services as privacy_services
from terabox_crm.support import services as support_services

COMPANIES = (
    # name, kana, industry, city, phone
    ("株式会社さくら物流", "サクラブツリュウ", "物流", "東京都港区", "03-0000-1001"),
    (
        "青葉ソフトウェア株式会社",
        "アオバソフトウェア",
        "ソフトウェア",
        "宮城県仙台市",
        "03-0000-1002",
    ),
    ("Northwind Traders Ltd.", "", "Wholesale", "London", "+44 20 0000 1003"),
    ("みなと銀行", "ミナトギンコウ", "金融", "神奈川県横浜市", "045-000-1004"),
    ("Contoso Pharmaceuticals", "", "Healthcare", "Boston", "+1 617 000 1005"),
)

PEOPLE = (
    # family, given, family kana, given kana, email, phone, company index, title, stage
    (
        "山田",
        "花子",
        "ヤマダ",
        "ハナコ",
        "hanako.yamada@sakura-logi.example.jp",
        "03-0000-2001",
        0,
        "物流部 部長",
        "customer",
    ),
    (
        "佐々木",
        "翔太",
        "ササキ",
        "ショウタ",
        "shota.sasaki@sakura-logi.example.jp",
        "090-0000-2002",
        0,
        "購買担当",
        "customer",
    ),
    (
        "高橋",
        "美咲",
        "タカハシ",
        "ミサキ",
        "misaki.takahashi@aoba-soft.example.jp",
        "03-0000-2003",
        1,
        "CTO",
        "prospect",
    ),
    (
        "伊藤",
        "大輔",
        "イトウ",
        "ダイスケ",
        "daisuke.ito@aoba-soft.example.jp",
        "090-0000-2004",
        1,
        "開発部",
        "lead",
    ),
    (
        "Smith",
        "Oliver",
        "",
        "",
        "oliver.smith@northwind.example.com",
        "+44 20 0000 2005",
        2,
        "Head of Procurement",
        "customer",
    ),
    (
        "渡辺",
        "直樹",
        "ワタナベ",
        "ナオキ",
        "naoki.watanabe@minato-bank.example.jp",
        "045-000-2006",
        3,
        "システム企画部 課長",
        "prospect",
    ),
    (
        "Garcia",
        "Sofia",
        "",
        "",
        "sofia.garcia@contoso.example.com",
        "+1 617 000 2007",
        4,
        "IT Director",
        "lead",
    ),
    (
        "中村",
        "さくら",
        "ナカムラ",
        "サクラ",
        "sakura.nakamura@example.jp",
        "070-0000-2008",
        None,
        "個人事業主",
        "churned",
    ),
)

DEALS = (
    # pipeline, name, stage position (1-based), amount, currency, company index, person index
    (0, "さくら物流 倉庫管理システム導入", 4, "12000000", "JPY", 0, 0),
    (0, "青葉ソフトウェア 年間ライセンス", 3, "4800000", "JPY", 1, 2),
    (0, "Northwind CRM rollout (EMEA)", 2, "85000", "GBP", 2, 4),
    (0, "みなと銀行 顧客管理基盤", 1, "30000000", "JPY", 3, 5),
    (0, "Contoso pilot", 2, "40000", "USD", 4, 6),
    (0, "さくら物流 追加ユーザー50席", 5, "1500000", "JPY", 0, 1),
    (1, "さくら物流 保守契約更新", 2, "2400000", "JPY", 0, 0),
    (1, "Northwind support renewal", 1, "12000", "GBP", 2, 4),
)


@dataclass
class Seeded:
    companies: int = 0
    contacts: int = 0
    deals: int = 0


# Tags a sales team would use: key accounts, an event's leads, a newsletter.
DEMO_TAGS = ["重要顧客", "展示会2026", "ニュースレター", "Partner"]


def _seed_privacy(membership, people, now) -> None:
    """Consent for the newsletter-style purpose from half the people, one who
    withdrew from statistics, one whose use is restricted at their request
    by phone (P7), and an access request waiting in the queue (P9)."""
    # The newest people (the top of the contacts list) have a history to show.
    for index, person in enumerate(people[len(people) // 2 :]):
        privacy_services.consent_grant(
            membership=membership,
            subject_id=person.pk,
            purpose="communication",
            channel="web_form" if index % 2 == 0 else "in_person",
            occurred_at=now - timedelta(days=60 - index),
            evidence="お問い合わせフォームで同意(チェックボックス)"
            if index % 2 == 0
            else "展示会の名刺交換時に口頭で同意",
        )
    privacy_services.consent_grant(
        membership=membership,
        subject_id=people[-1].pk,
        purpose="statistics",
        channel="email",
        occurred_at=now - timedelta(days=30),
        evidence="アンケート回答時に同意",
    )
    privacy_services.consent_withdraw(
        membership=membership,
        subject_id=people[-1].pk,
        purpose="statistics",
        channel="email",
        occurred_at=now - timedelta(days=3),
        evidence="メールで撤回の連絡あり",
    )
    # The restriction came from a call: recorded as a request, carried out
    # from it and closed, so its history shows how (P9). An access request
    # by email waits in the queue, due in four days.
    today = timezone.localdate(now)
    by_phone = dsr_services.request_record(
        membership=membership,
        kind="restriction",
        channel="phone",
        email=PEOPLE[0][4],
        language="ja",
        received_on=today - timedelta(days=2),
        identity_check="登録済みの電話番号(03-0000-2001)に折り返して本人と確認",
        details="営業の連絡を含め、当面データを利用しないでほしい",
        subject_ids=[people[0].pk],
    )
    dsr_fulfilment.fulfil_restriction(
        membership=membership,
        request=by_phone,
        subject_id=people[0].pk,
        reason="本人から電話で利用停止の請求",
    )
    dsr_services.request_set_status(
        membership=membership,
        request=by_phone,
        status="done",
        note="利用停止を設定し、電話で本人に伝えた。",
    )
    dsr_services.request_record(
        membership=membership,
        kind="access",
        channel="email",
        email=PEOPLE[2][4],
        language="ja",
        received_on=today - timedelta(days=10),
        identity_check="登録済みのメールアドレスから届いたメールに返信して確認",
        details="保有している私の個人情報と、第三者への提供記録を開示してください。",
    )


def seed(workspace, owner) -> Seeded:
    """Fill a freshly created demo workspace (call once, inside its
    transaction). ``owner`` is its privacy officer too (``demo.seed_demo``):
    the demo's privacy requests are recorded and answered by them."""

    result = Seeded()
    now = timezone.now()
    with scope(workspace=workspace), translation.override("ja"):
        membership = Membership.objects.select_related("workspace").get(
            workspace=workspace, user=owner
        )
        colleagues = list(
            Membership.objects.filter(workspace=workspace)
            .exclude(role="viewer")
            .select_related("user")
        )
        companies = []
        for name, kana, industry, city, phone in COMPANIES:
            companies.append(
                contact_services.company_create(
                    membership=membership,
                    data=contact_services.CompanyData(
                        name=name, name_kana=kana, industry=industry, city=city, phone=phone
                    ),
                )
            )
        result.companies = len(companies)
        tags = [
            contact_services.tag_get_or_create(membership=membership, name=name)
            for name in DEMO_TAGS
        ]
        people = []
        for index, (family, given, fkana, gkana, email, phone, company, title, stage) in enumerate(
            PEOPLE
        ):
            owner_membership = colleagues[index % len(colleagues)]
            people.append(
                contact_services.contact_create(
                    membership=membership,
                    data=contact_services.ContactData(
                        family_name=family,
                        given_name=given,
                        family_name_kana=fkana,
                        given_name_kana=gkana,
                        company_id=companies[company].pk if company is not None else None,
                        job_title=title,
                        stage=stage,
                        owner_id=owner_membership.user_id,
                        emails=[contact_services.EmailIn(email, is_primary=True)],
                        phones=[contact_services.PhoneIn(phone, is_primary=True)],
                        tag_ids=[tags[index % len(tags)].pk]
                        + ([tags[0].pk] if index % 4 == 0 else []),
                    ),
                )
            )
        result.contacts = len(people)
        pipelines = [
            deal_services.pipeline_create(membership=membership, name="新規案件"),
            deal_services.pipeline_create(membership=membership, name="更新・保守"),
        ]
        stages = [list(pipeline.stages.order_by("position")) for pipeline in pipelines]
        deals = []
        for pipeline, name, position, amount, currency, company, person in DEALS:
            deals.append(
                deal_services.deal_create(
                    membership=membership,
                    data=deal_services.DealData(
                        name=name,
                        stage=stages[pipeline][position - 1],
                        amount=Decimal(amount),
                        currency=currency,
                        expected_close_date=(now + timedelta(days=14 * (position + 1))).date(),
                        company=companies[company],
                        contact=people[person],
                        owner=colleagues[len(deals) % len(colleagues)].user,
                    ),
                )
            )
        result.deals = len(deals)
        notes = (
            (
                "call",
                "導入スケジュールの確認",
                "来月の第2週にキックオフ。倉庫3拠点から順次展開。",
                0,
                0,
            ),
            (
                "meeting",
                "要件定義ミーティング",
                "API連携の要件を確認。次回までに見積もりを提示。",
                2,
                1,
            ),
            (
                "email",
                "Proposal sent",
                "Sent the EMEA rollout proposal with three pricing options.",
                4,
                2,
            ),
            ("note", "決裁者の確認", "最終決裁は常務。稟議は月末締め。", 5, 3),
        )
        for kind, subject, body, person, deal in notes:
            activity_services.activity_log(
                membership=membership,
                data=activity_services.ActivityData(
                    kind=kind,
                    occurred_at=now - timedelta(days=len(subject) % 5 + 1),
                    subject=subject,
                    body=body,
                    duration_minutes=30 if kind in ("call", "meeting") else None,
                    links=activity_services.Links(contact=people[person], deal=deals[deal]),
                ),
            )
        activity_services.task_create(
            membership=membership,
            data=activity_services.TaskData(
                title="さくら物流に見積書を送付",
                due_at=now + timedelta(days=1),
                remind_at=now + timedelta(hours=20),
                assignee=owner,
                links=activity_services.Links(contact=people[0], deal=deals[0]),
            ),
        )
        activity_services.task_create(
            membership=membership,
            data=activity_services.TaskData(
                title="Follow up with Oliver on the renewal",
                due_at=now + timedelta(days=3),
                assignee=owner,
                links=activity_services.Links(contact=people[4], deal=deals[7]),
            ),
        )
        for subject, priority, person in (
            ("出荷データが同期されない", "urgent", 0),
            ("請求書の宛名変更のお願い", "normal", 1),
            ("Cannot export the monthly report", "high", 4),
        ):
            support_services.ticket_open(
                membership=membership,
                data=support_services.TicketData(
                    subject=subject,
                    priority=priority,
                    contact=people[person],
                    company=people[person].company,
                    assignee=owner,
                ),
            )
        # Last: a restricted person's timeline is read-only to all but privacy
        # officers (P7), and the demo gives everyone a timeline first.
        _seed_privacy(membership, people, now)
    return result
