"""The fields a file's columns map to, and the automatic mapping of a header
row by its Japanese or English names (SPEC §2: column mapping).

A header is compared folded (NFKC, lower case, without spaces, brackets,
dots, hyphens and underscores), so 「姓（カナ）」, 「姓(ｶﾅ)」 and "Last_Name"
are found as well as the plain names. Each field is mapped to at most one
column: the first column that names it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from terabox_crm.imports.models import Resource

IGNORE = ""


@dataclass(frozen=True)
class Field:
    key: str
    label: object
    aliases: tuple[str, ...]


_CONSENT = (
    Field(
        "consent_by",
        _("Who consented to the sharing"),
        ("同意者", "同意した人", "consentby", "consentedby"),
    ),
    Field(
        "consent_at",
        _("Date of the consent"),
        ("同意日", "同意日時", "consentdate", "consentat", "consentedon"),
    ),
    Field(
        "consent_evidence",
        _("Evidence of the consent"),
        ("同意の証跡", "同意証跡", "証跡", "consentevidence", "evidence"),
    ),
)

FIELDS = {
    Resource.CONTACTS: (
        Field(
            "family_name",
            _("Family name"),
            ("姓", "苗字", "名字", "lastname", "familyname", "surname"),
        ),
        Field("given_name", _("Given name"), ("名", "firstname", "givenname")),
        Field(
            "full_name",
            _("Full name (family and given)"),
            ("氏名", "名前", "お名前", "name", "fullname"),
        ),
        Field(
            "family_name_kana",
            _("Family name reading (kana)"),
            (
                "セイ",
                "せい",
                "姓カナ",
                "姓かな",
                "姓ふりがな",
                "姓フリガナ",
                "フリガナ姓",
                "lastnamekana",
                "familynamekana",
            ),
        ),
        Field(
            "given_name_kana",
            _("Given name reading (kana)"),
            (
                "メイ",
                "めい",
                "名カナ",
                "名かな",
                "名ふりがな",
                "名フリガナ",
                "フリガナ名",
                "firstnamekana",
                "givennamekana",
            ),
        ),
        Field(
            "email",
            _("Email address"),
            ("メール", "メールアドレス", "eメール", "email", "mail", "emailaddress"),
        ),
        Field(
            "phone",
            _("Phone number"),
            ("電話", "電話番号", "携帯", "携帯電話", "tel", "phone", "phonenumber", "mobile"),
        ),
        Field(
            "company",
            _("Company name"),
            (
                "会社",
                "会社名",
                "社名",
                "勤務先",
                "company",
                "companyname",
                "organization",
                "organisation",
            ),
        ),
        Field(
            "job_title", _("Job title"), ("役職", "肩書", "肩書き", "jobtitle", "title", "position")
        ),
        Field(
            "stage",
            _("Lifecycle stage"),
            ("ステージ", "ライフサイクルステージ", "stage", "lifecyclestage"),
        ),
        Field("notes", _("Notes"), ("メモ", "備考", "notes", "note")),
        *_CONSENT,
    ),
    Resource.COMPANIES: (
        Field(
            "name", _("Company name"), ("会社", "会社名", "社名", "company", "companyname", "name")
        ),
        Field(
            "name_kana",
            _("Company name reading (kana)"),
            ("会社名カナ", "会社名フリガナ", "フリガナ", "カナ", "namekana"),
        ),
        Field("website", _("Website"), ("ウェブサイト", "ホームページ", "url", "website", "web")),
        Field(
            "phone",
            _("Phone number"),
            ("電話", "電話番号", "代表電話", "tel", "phone", "phonenumber"),
        ),
        Field(
            "postal_code",
            _("Postal code"),
            ("郵便番号", "〒", "postalcode", "zip", "zipcode", "postcode"),
        ),
        Field("region", _("Prefecture or region"), ("都道府県", "prefecture", "region", "state")),
        Field("city", _("City"), ("市区町村", "city")),
        Field(
            "street",
            _("Street address"),
            ("住所", "番地", "所在地", "street", "address", "streetaddress"),
        ),
        Field("industry", _("Industry"), ("業種", "業界", "industry")),
        Field("notes", _("Notes"), ("メモ", "備考", "notes", "note")),
    ),
}

CONSENT_KEYS = tuple(field.key for field in _CONSENT)

_NOISE = re.compile(r"[\s()\[\]{}（）「」【】・.\-_/:：*＊]+")


def fold(header: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", header or "").lower())


def fields_of(resource: str) -> tuple[Field, ...]:
    return FIELDS[Resource(resource)]


def keys_of(resource: str) -> set[str]:
    return {field.key for field in fields_of(resource)}


def label_of(resource: str, key: str):
    for field in fields_of(resource):
        if field.key == key:
            return field.label
    return key


def auto_map(resource: str, headers: list[str]) -> list[str]:
    """One field key per header ("" when none fits), each field at most once."""
    by_alias = {}
    for field in fields_of(resource):
        for alias in (field.key, *field.aliases):
            by_alias.setdefault(fold(alias), field.key)
    taken: set[str] = set()
    mapping = []
    for header in headers:
        key = by_alias.get(fold(header), IGNORE)
        if key in taken:
            key = IGNORE
        taken.add(key)
        mapping.append(key)
    return mapping
