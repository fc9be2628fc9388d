"""Blind-index terms of companies and contacts, and searching them (S3).

Domains (one per searchable field family, object id = the contact or company):

* ``contacts.contact.email`` — each email, normalised (``normalise.email``);
* ``contacts.contact.phone`` — each phone in E.164;
* ``contacts.contact.name`` — whole tokens of family/given names and their
  kana readings, folded (NFKC, case, katakana → hiragana), so a reading typed
  in katakana or hiragana finds the other, and the full name written without
  a space in both orders (「山田花子」「花子山田」, readings too), so a full name
  typed as one word finds the person (docs/decisions/0010-company-name-search.md);
* ``contacts.company.name`` — a company's name and kana reading as business
  terms (``words.business_terms``): each run whole and its words as the
  morphological analyser splits them (「さくら物流」「さくら」「物流」), legal
  forms (株式会社, Inc. …) left out (docs/decisions/0010-company-name-search.md);
* ``contacts.company.phone`` — the company's phone in E.164.

A term is a truncated keyed hash: it finds *candidates*. Callers decrypt the
candidates and compare plaintext (``matches_*``), so truncation's false
positives never reach a user. Terms are written by the services in the same
transaction as the values.

When the workspace turned on prefix search (``Workspace.name_prefix_search``,
off by default), the name tokens of contacts and companies also get prefix
terms (``search_index.replace_prefixes``), and ``matching_prefixes`` finds
rows whose tokens start with what was typed (typeahead).
"""

from __future__ import annotations

from terabox_crm.crypto import normalise, search_index, words

CONTACT_EMAIL = "contacts.contact.email"
CONTACT_PHONE = "contacts.contact.phone"
CONTACT_NAME = "contacts.contact.name"
COMPANY_NAME = "contacts.company.name"
COMPANY_PHONE = "contacts.company.phone"
CONTACT_DOMAINS = (CONTACT_EMAIL, CONTACT_PHONE, CONTACT_NAME)
COMPANY_DOMAINS = (COMPANY_NAME, COMPANY_PHONE)


def contact_name_parts(contact) -> set[str]:
    """The tokens of a contact's names and readings, each part on its own
    (what prefix terms are written for)."""
    tokens: set[str] = set()
    for value in (
        contact.family_name,
        contact.given_name,
        contact.family_name_kana,
        contact.given_name_kana,
    ):
        tokens.update(normalise.name_tokens(value or ""))
    return tokens


def _joined(first: str, second: str) -> set[str]:
    """A full name without a space, in both orders, folded like a token."""
    first = "".join(normalise.name_tokens(first or ""))
    second = "".join(normalise.name_tokens(second or ""))
    if not first or not second:
        return set()
    return {first + second, second + first}


def contact_name_tokens(contact) -> set[str]:
    """The whole-token terms of a contact: each part, and the full name and
    full reading written without a space in both orders (S3; people are not
    split by the analyser, docs/decisions/0010-company-name-search.md)."""
    return (
        contact_name_parts(contact)
        | _joined(contact.family_name, contact.given_name)
        | _joined(contact.family_name_kana, contact.given_name_kana)
    )


def company_name_tokens(company) -> set[str]:
    return set(words.business_terms(company.name or "")) | set(
        words.business_terms(company.name_kana or "")
    )


def _safe(normaliser, value: str) -> str:
    try:
        return normaliser(value)
    except ValueError:
        return ""


def index_contact(contact, *, emails: list[str], phones: list[str]) -> None:
    """Make the contact's terms exactly those of its current values."""
    ws = contact.workspace_id
    search_index.replace(ws, CONTACT_EMAIL, contact.pk, [_safe(normalise.email, e) for e in emails])
    search_index.replace(ws, CONTACT_PHONE, contact.pk, [_safe(normalise.phone, p) for p in phones])
    search_index.replace(ws, CONTACT_NAME, contact.pk, contact_name_tokens(contact))
    if search_index.prefixes_on(ws):
        search_index.replace_prefixes(ws, CONTACT_NAME, {contact.pk: contact_name_parts(contact)})


def index_new_contacts(contacts: list, *, emails: dict, phones: dict) -> None:
    """The terms of contacts created in this transaction (one, or a batch):
    nothing to replace, so one INSERT for all of them (``search_index.add``).
    ``emails`` and ``phones`` map each contact's id to its values, normalised
    by the service's validation already (``normalise.email``/``phone``), so
    they are not parsed a second time."""
    if not contacts:
        return
    ws = contacts[0].workspace_id
    tokens = {contact.pk: contact_name_tokens(contact) for contact in contacts}
    parts = {contact.pk: contact_name_parts(contact) for contact in contacts}
    search_index.add(
        ws,
        {
            contact.pk: {
                CONTACT_EMAIL: list(emails.get(contact.pk, ())),
                CONTACT_PHONE: list(phones.get(contact.pk, ())),
                CONTACT_NAME: tokens[contact.pk],
            }
            for contact in contacts
        },
        prefixes={CONTACT_NAME: parts},
    )


def index_company(company) -> None:
    ws = company.workspace_id
    tokens = company_name_tokens(company)
    search_index.replace(ws, COMPANY_NAME, company.pk, tokens)
    if search_index.prefixes_on(ws):
        search_index.replace_prefixes(ws, COMPANY_NAME, {company.pk: tokens})
    phones = [_safe(normalise.phone, company.phone)] if company.phone else []
    search_index.replace(ws, COMPANY_PHONE, company.pk, phones)


def matching(queryset, workspace_id, domain: str, values: list[str]):
    """``queryset`` narrowed to rows holding *every* value in ``domain`` (AND),
    one ``IN (subquery)`` per value, so a common token never materialises a
    huge id list in Python or in query parameters."""
    if not values:
        return queryset.none()
    for value in values:
        queryset = queryset.filter(
            search_index.id_filter(search_index.candidates(workspace_id, domain, value))
        )
    return queryset


def matching_prefixes(queryset, workspace_id, domain: str, tokens: list[str]):
    """``queryset`` narrowed to rows with, for *every* query token, a name token
    that is it or (long enough) starts with it. Whole-token terms are asked
    too, so a token too short for a prefix, or a row whose prefix terms the
    job has not written yet, is still found by its whole token. Compare the
    decrypted rows with ``has_prefixes``."""
    if not tokens:
        return queryset.none()
    for token in tokens:
        sets = [search_index.candidates(workspace_id, domain, token)]
        prefixed = search_index.prefix_candidates(workspace_id, domain, token)
        if prefixed is not None:
            sets.append(prefixed)
        queryset = queryset.filter(search_index.id_filter(*sets))
    return queryset


def has_prefixes(have: set[str], tokens: list[str]) -> bool:
    return all(search_index.prefix_matches(have, token) for token in tokens)


def candidate_ids(workspace_id, domain: str, value: str) -> set:
    """Ids that may hold ``value`` in ``domain`` (an email or phone: a few
    rows by construction), at most ``search_index.MATERIALISE_LIMIT``."""
    rows = search_index.candidates(workspace_id, domain, value).values_list("object_id", flat=True)
    return set(rows[: search_index.MATERIALISE_LIMIT])


def query_tokens(query: str) -> list[str]:
    return normalise.name_tokens(query)


def classify(query: str) -> tuple[str, str | list[str]]:
    """``("email", value)``, ``("phone", e164)`` or ``("tokens", [...])``."""
    text = query.strip()
    if "@" in normalise.fold(text):
        try:
            return "email", normalise.email(text)
        except ValueError:
            pass
    digits = sum(ch.isdigit() for ch in normalise.fold(text))
    if digits >= 6 and digits >= len(normalise.fold(text).replace(" ", "")) * 0.6:
        try:
            return "phone", normalise.phone(text)
        except ValueError:
            pass
    return "tokens", query_tokens(text)


def contact_has_email(contact, email: str) -> bool:
    return any(_safe(normalise.email, e.value) == email for e in contact.emails.all())


def contact_has_phone(contact, phone: str) -> bool:
    return any(_safe(normalise.phone, p.value) == phone for p in contact.phones.all())


def contact_has_tokens(contact, tokens: list[str]) -> bool:
    have = contact_name_tokens(contact)
    return all(token in have for token in tokens)


def company_query(query: str) -> list[words.Part]:
    """What a company search for ``query`` asks (``words.business_query``)."""
    return words.business_query(query)


def matching_parts(queryset, workspace_id, domain: str, parts: list[words.Part]):
    return search_index.matching_parts(queryset, workspace_id, domain, parts)


def company_has_parts(company, parts: list[words.Part]) -> bool:
    return words.holds((company.name, company.name_kana), parts)


def company_has_phone(company, phone: str) -> bool:
    return bool(company.phone) and _safe(normalise.phone, company.phone) == phone
