"""Canary seeds of the contacts app (terabox_crm/testing/canary.py)."""

from terabox_crm.contacts import services
from terabox_crm.testing.canary import World, seeder


@seeder
def contacts(world: World) -> list[str]:
    company = services.company_create(
        membership=world.membership,
        data=services.CompanyData(
            name="Qxzyl Canary Trading 株式会社",
            name_kana="キュージルカナリアショウジ",
            phone="03-5555-0188",
            street="鳴鳥町 9-7-5",
        ),
    )
    services.contact_create(
        membership=world.membership,
        data=services.ContactData(
            family_name="鳴鳥",
            given_name="Qxzylette",
            family_name_kana="ナキドリ",
            company_id=company.pk,
            job_title="Canary Procurement Lead",
            notes="canary note qx7 about a customer",
            emails=[services.EmailIn(value="Canary.Contact.QX7@example.net")],
            phones=[services.PhoneIn(value="090-5555-0177")],
        ),
    )
    return [
        "Qxzyl Canary Trading",
        "キュージルカナリアショウジ",
        "0355550188",
        "+81355550188",
        "03-5555-0188",
        "鳴鳥町 9-7-5",
        "Qxzylette",
        "ナキドリ",
        "なきどり",
        "Canary Procurement Lead",
        "canary note qx7",
        "canary.contact.qx7@example.net",
        "090-5555-0177",
        "09055550177",
        "+819055550177",
    ]
