"""Contact and company screens: lists with search, filters and saved views,
detail with timeline, create/edit (with possible duplicates on create),
delete, duplicates and merge, and the global search.

Thin: every view asks the policy (``permission_required``), fetches records
through ``visible_to`` (another workspace's or an invisible record is a 404),
checks the object rule for writes (403 otherwise), calls a service and
renders. A service's refusal re-renders the form with its translated
messages and status 400; nothing was changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy, pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from terabox_crm import detection
from terabox_crm.contacts import forms as contact_forms
from terabox_crm.contacts import listing, selectors, services
from terabox_crm.contacts.forms import (
    CompanyForm,
    ContactForm,
    EmailFormSet,
    MergeForm,
    PhoneFormSet,
    SavedViewForm,
)
from terabox_crm.contacts.models import Company, Contact, SavedView, Source, Stage
from terabox_crm.core import policy
from terabox_crm.core.decorators import answer, permission_required, require_object
from terabox_crm.core.htmx import is_partial
from terabox_crm.core.models import Membership
from terabox_crm.lists import anatomy, bulk
from terabox_crm.refusals import Refusal


def _contact(request, contact_id) -> Contact:
    return get_object_or_404(selectors.contacts_for_list(request.membership), pk=contact_id)


def _company(request, company_id) -> Company:
    return get_object_or_404(selectors.companies_for_list(request.membership), pk=company_id)


def _tag_ids(request, form) -> list:
    """Chosen tags plus new ones typed in (created in the workspace first)."""
    ids = list(form.cleaned_data.get("tags") or [])
    for name in form.new_tag_names():
        tag = services.tag_get_or_create(membership=request.membership, name=name)
        ids.append(str(tag.pk))
    return ids


# --- Contacts list, search, saved views ------------------------------------------------------


def _members(membership) -> list[tuple[str, str]]:
    return [
        (str(m.user_id), m.user.label)
        for m in Membership.objects.filter(workspace_id=membership.workspace_id).select_related(
            "user"
        )
    ]


def _tags(membership) -> list[tuple[str, str]]:
    return selectors.tag_choices(membership)


def _bulk_actions(membership, *, add: str, delete: str, members, tags, stages=None) -> list:
    """The bulk bar's choices a member may use at all (per record: the service)."""
    actions = []
    if policy.can(membership, add):
        actions.append(anatomy.BulkAction("owner", _("Assign owner"), members))
        if tags:
            actions.append(anatomy.BulkAction("tag_add", _("Add tag"), tags))
            actions.append(anatomy.BulkAction("tag_remove", _("Remove tag"), tags))
        if stages:
            actions.append(anatomy.BulkAction("stage", _("Change stage"), stages))
    if policy.can(membership, delete):
        actions.append(anatomy.BulkAction("delete", _("Delete"), danger=True))
    return actions


RECORDS_CHANGED = ngettext_lazy("%(n)s record changed.", "%(n)s records changed.", "count")
RECORDS_DELETED = ngettext_lazy("%(n)s record deleted.", "%(n)s records deleted.", "count")


@permission_required("contacts.view")
@require_safe
def contact_list(request):
    membership = request.membership
    spec = listing.CONTACTS
    filters = selectors.ContactFilters.from_params(request.GET)
    sort = anatomy.sort_from(spec, request.GET.get("sort"))
    page, count = selectors.contact_list_page(
        membership, filters, sort, cursor=request.GET.get("cursor", "")
    )
    detection.count_reads(membership, len(page.rows))  # S7: mass reads
    members, tags = _members(membership), _tags(membership)
    lst = anatomy.list_context(
        request,
        spec,
        sort=sort,
        count=count,
        filters=[
            anatomy.Filter("stage", _("Lifecycle stage"), Stage.choices, filters.stage),
            anatomy.Filter(
                "owner", pgettext("record owner", "Owner"), members, str(filters.owner or "")
            ),
            anatomy.Filter("tag", _("Tag"), tags, str(filters.tag or "")),
            anatomy.Filter("source", _("Source"), Source.choices, filters.source),
        ],
        search_label=_("Search"),
        search_placeholder=_("Name, kana, email or phone"),
        bulk_url=reverse("contacts:bulk"),
        bulk_actions=_bulk_actions(
            membership,
            add="contacts.change",
            delete="contacts.delete",
            members=members,
            tags=tags,
            stages=Stage.choices,
        ),
        extra_views=[
            (v.name, v.filters, reverse("contacts:saved_view_delete", args=[v.pk]))
            for v in selectors.saved_views_of(membership)
        ],
        next_cursor=page.next_cursor if page.has_more else "",
    )
    context = {"page": page, "lst": lst, "next_url": lst.next_url}
    if is_partial(request):
        return render(request, "contacts/partials/_contact_rows.html", context)
    context["can_add"] = policy.can(membership, "contacts.add")
    return render(request, "contacts/list.html", context)


@permission_required("contacts.view")
@require_POST
def contact_bulk(request):
    """One action on the chosen contacts (at most 1,000), all or nothing."""
    return bulk.respond(
        request,
        services.contact_bulk,
        url_name="contacts:list",
        changed=RECORDS_CHANGED,
        deleted=RECORDS_DELETED,
    )


@permission_required("contacts.view")
@require_POST
def saved_view_create(request):
    form = SavedViewForm(request.POST)
    if form.is_valid():
        filters = selectors.ContactFilters.from_params(request.POST)
        params = filters.as_params()
        params.pop("q", None)  # a search text may be a name: never stored
        try:
            services.saved_view_create(
                membership=request.membership, name=form.cleaned_data["name"], filters=params
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("View saved."))
    else:
        messages.error(request, _("Enter a name of at most 80 characters."))
    return redirect("contacts:list")


@permission_required("contacts.view")
@require_POST
def saved_view_delete(request, saved_view_id):
    view = get_object_or_404(
        SavedView.objects.filter(
            workspace_id=request.membership.workspace_id, user_id=request.user.pk
        ),
        pk=saved_view_id,
    )
    services.saved_view_delete(membership=request.membership, view=view)
    messages.success(request, _("View deleted."))
    return redirect("contacts:list")


@permission_required("contacts.view")
@require_safe
def global_search(request):
    """The search page: contacts, companies, deals and tickets in one table
    (type, name, company, email or phone, owner), each kind only for members
    who may see it — what the top bar's dropdown offers, and more rows."""
    results, rows = selectors.search_rows(request.membership, request.GET.get("q", ""))
    template = (
        "contacts/partials/_search_results.html" if is_partial(request) else "contacts/search.html"
    )
    return render(request, template, {"results": results, "rows": rows})


# --- One contact --------------------------------------------------------------------------


@permission_required("contacts.view")
@require_safe
def contact_detail(request, contact_id):
    contact = _contact(request, contact_id)
    membership = request.membership
    detection.count_reads(membership, 1)  # S7: mass reads
    return render(
        request,
        "contacts/detail.html",
        {
            "contact": contact,
            "timeline": selectors.timeline(contact),
            "can_change": policy.can(membership, "contacts.change", contact),
            "can_delete": policy.can(membership, "contacts.delete", contact),
            "can_merge": policy.can(membership, "contacts.merge", contact),
            "can_add_deal": policy.can(membership, "deals.add"),
            "can_erase": policy.can(membership, "privacy.erase"),
            "can_record_request": policy.can(membership, "dsr.handle"),
        },
    )


# Submit buttons that add or remove an email/phone row without the page's script.
_ROW_BUTTONS = {"emails": ("add_email", "remove_email"), "phones": ("add_phone", "remove_phone")}


def _row_edit(post) -> dict | None:
    """``{prefix: {"add": True} or {"remove": i}}`` when an "Add"/"Remove" row
    button sent the form, else ``None``."""
    for prefix, (add, remove) in _ROW_BUTTONS.items():
        if add in post:
            return {prefix: {"add": True}}
        if remove in post:
            try:
                return {prefix: {"remove": int(post[remove])}}
            except ValueError:
                return {prefix: {}}
    return None


def _contact_form_page(request, *, contact=None):
    """Create (``contact`` None) or edit, with email and phone formsets."""
    membership = request.membership
    row_edit = _row_edit(request.POST) if request.method == "POST" else None
    kept_company = contact.company_id if contact else None
    if row_edit is not None:
        # An "Add"/"Remove" row button (no script): show the form again as
        # typed, with the row added or removed; nothing is checked or saved.
        form = ContactForm(
            initial=ContactForm.initial_from_post(request.POST),
            membership=membership,
            kept_company=kept_company,
        )
        emails = EmailFormSet.edited(request.POST, prefix="emails", **row_edit.get("emails", {}))
        phones = PhoneFormSet.edited(request.POST, prefix="phones", **row_edit.get("phones", {}))
    elif request.method == "POST":
        form = ContactForm(request.POST, membership=membership, kept_company=kept_company)
        emails = EmailFormSet(request.POST, prefix="emails")
        phones = PhoneFormSet(request.POST, prefix="phones")
    else:
        data = (
            services.contact_data_of(contact)
            if contact
            else services.ContactData(
                owner_id=membership.user_id, company_id=request.GET.get("company") or None
            )
        )
        form = ContactForm(
            initial=ContactForm.initial_of(data), membership=membership, kept_company=kept_company
        )
        emails = EmailFormSet(
            prefix="emails",
            initial=[
                {"value": e.value, "label": e.label, "is_primary": e.is_primary}
                for e in data.emails
            ],
        )
        phones = PhoneFormSet(
            prefix="phones",
            initial=[
                {"value": p.value, "label": p.label, "is_primary": p.is_primary}
                for p in data.phones
            ],
        )
    status, loose, duplicates = 200, [], []
    if request.method == "POST" and row_edit is None:
        status = 400
        if form.is_valid() and emails.is_valid() and phones.is_valid():
            email_rows, phone_rows = emails.rows(), phones.rows()
            checked = form.to_data(
                list(form.cleaned_data.get("tags") or []), email_rows, phone_rows
            )
            try:
                services.contact_validate(membership=membership, data=checked, contact=contact)
            except ValidationError as exc:
                loose = form.apply_errors(exc)
                checked = None
            if checked and contact is None and not form.cleaned_data.get("confirm_duplicate"):
                duplicates = selectors.possible_duplicates(
                    membership,
                    emails=[r.value for r in email_rows],
                    phones=[r.value for r in phone_rows],
                    name_tokens=_tokens_of(form.cleaned_data),
                    company_id=form.cleaned_data.get("company") or None,
                )
            if checked is None:
                pass  # the errors are on the form; nothing was changed
            elif duplicates:
                status = 200
            else:
                try:
                    with transaction.atomic():
                        data = form.to_data(_tag_ids(request, form), email_rows, phone_rows)
                        if contact is None:
                            saved = services.contact_create(membership=membership, data=data)
                        else:
                            saved = services.contact_update(
                                membership=membership, contact=contact, data=data
                            )
                except ValidationError as exc:
                    loose = form.apply_errors(exc)
                else:
                    messages.success(
                        request, _("Contact created.") if contact is None else _("Contact saved.")
                    )
                    if getattr(saved, "suppressed", None):
                        messages.warning(
                            request,
                            _(
                                "%(values)s belonged to a person erased at their request. "
                                "Check that they want to be contacted again before you use it; "
                                "this was recorded in the audit log."
                            )
                            % {"values": ", ".join(saved.suppressed)},
                        )
                    return redirect("contacts:detail", contact_id=saved.pk)
    return render(
        request,
        "contacts/form.html",
        {
            "form": form,
            "emails": emails,
            "phones": phones,
            "contact": contact,
            "loose_errors": loose,
            "duplicates": duplicates,
        },
        status=status,
    )


def _tokens_of(cleaned) -> set[str]:
    from terabox_crm.crypto import normalise

    tokens: set[str] = set()
    for name in ("family_name", "given_name", "family_name_kana", "given_name_kana"):
        tokens.update(normalise.name_tokens(cleaned.get(name) or ""))
    return tokens


@permission_required("contacts.add")
@require_http_methods(["GET", "HEAD", "POST"])
def contact_create(request):
    return _contact_form_page(request)


@permission_required("contacts.change")
@require_http_methods(["GET", "HEAD", "POST"])
def contact_edit(request, contact_id):
    contact = _contact(request, contact_id)
    require_object(request, "contacts.change", contact)
    return _contact_form_page(request, contact=contact)


@permission_required("contacts.delete")
@require_http_methods(["GET", "HEAD", "POST"])
def contact_delete(request, contact_id):
    contact = _contact(request, contact_id)
    require_object(request, "contacts.delete", contact)
    if request.method == "POST":
        services.contact_delete(membership=request.membership, contact=contact)
        messages.success(request, _("Contact deleted."))
        return redirect("contacts:list")
    return render(
        request,
        "contacts/confirm_delete.html",
        {"object": contact, "cancel": reverse("contacts:detail", args=[contact.pk])},
    )


@permission_required("contacts.view")
@require_safe
def contact_duplicates(request, contact_id):
    contact = _contact(request, contact_id)
    return render(
        request,
        "contacts/duplicates.html",
        {
            "contact": contact,
            "duplicates": selectors.duplicates_of(request.membership, contact),
            "can_merge": policy.can(request.membership, "contacts.merge", contact),
        },
    )


@permission_required("contacts.merge")
@require_http_methods(["GET", "HEAD", "POST"])
def contact_merge(request, contact_id):
    keep = _contact(request, contact_id)
    require_object(request, "contacts.merge", keep)
    form = MergeForm(request.POST or None, initial={"other": request.GET.get("other", "")})
    other = None
    status = 200
    if form.is_bound and form.is_valid():
        other = (
            selectors.contacts_for_list(request.membership)
            .filter(pk=form.cleaned_data["other"])
            .first()
        )
        if other is None:
            raise Http404
        require_object(request, "contacts.merge", other)
        if request.POST.get("confirm"):
            try:
                services.contact_merge(membership=request.membership, keep=keep, merge_away=other)
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
                status = 400
            else:
                messages.success(request, _("Contacts merged."))
                return redirect("contacts:detail", contact_id=keep.pk)
    elif form.is_bound:
        status = 400
    elif request.GET.get("other"):
        other = (
            selectors.contacts_for_list(request.membership)
            .filter(pk=_safe_uuid(request.GET["other"]))
            .first()
        )
    return render(
        request,
        "contacts/merge.html",
        {"keep": keep, "other": other, "form": form},
        status=status,
    )


def _safe_uuid(value):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# --- Companies ----------------------------------------------------------------------------


@permission_required("companies.view")
@require_safe
def company_list(request):
    membership = request.membership
    spec = listing.COMPANIES
    q = request.GET.get("q", "")[:200]
    owner, tag = request.GET.get("owner", "")[:64], request.GET.get("tag", "")[:64]
    sort = anatomy.sort_from(spec, request.GET.get("sort"))
    page, count = selectors.company_list_page(
        membership, q=q, sort=sort, cursor=request.GET.get("cursor", ""), owner=owner, tag=tag
    )
    members, tags = _members(membership), _tags(membership)
    lst = anatomy.list_context(
        request,
        spec,
        sort=sort,
        count=count,
        filters=[
            anatomy.Filter("owner", pgettext("record owner", "Owner"), members, owner),
            anatomy.Filter("tag", _("Tag"), tags, tag),
        ],
        search_label=_("Search"),
        search_placeholder=_("Any word of the name (legal forms ignored)"),
        bulk_url=reverse("companies:bulk"),
        bulk_actions=_bulk_actions(
            membership,
            add="companies.change",
            delete="companies.delete",
            members=members,
            tags=tags,
        ),
        next_cursor=page.next_cursor if page.has_more else "",
    )
    return render(
        request,
        "contacts/company_list.html",
        {
            "page": page,
            "lst": lst,
            "next_url": lst.next_url,
            "can_add": policy.can(membership, "companies.add"),
        },
    )


@permission_required("companies.view")
@require_POST
def company_bulk(request):
    """One action on the chosen companies (at most 1,000), all or nothing."""
    return bulk.respond(
        request,
        services.company_bulk,
        url_name="companies:list",
        changed=RECORDS_CHANGED,
        deleted=RECORDS_DELETED,
    )


@permission_required("companies.view")
@require_safe
def company_picker(request):
    """The contact form's company matches for what is typed (an htmx fragment):
    at most ``PICKER_LIMIT`` companies of this workspace the user may read,
    found by any word of the name (legal forms ignored) like the company
    list's search."""
    query = (request.GET.get("company_name") or request.GET.get("q") or "").strip()[:200]
    matches = selectors.company_matches(request.membership, query, limit=contact_forms.PICKER_LIMIT)
    # 「＋新規作成」: offered to members who may add companies, when no match
    # is named exactly what was typed (company_quick_create).
    can_create = (
        bool(query)
        and policy.can(request.membership, "companies.add")
        and not any(selectors.company_is_named(company, query) for company in matches)
    )
    return render(
        request,
        "contacts/partials/_company_options.html",
        {
            "matches": matches,
            "query": query,
            "limit": contact_forms.PICKER_LIMIT,
            "can_create": can_create,
        },
    )


@permission_required("companies.add")
@require_POST
def company_quick_create(request):
    """Create a company named as typed in the company picker (「＋新規作成」),
    through the same service, permission and audit as the company form;
    answers ``{"id", "name"}`` (201) for the picker to choose it, or a problem
    (RFC 9457 shape, translated detail) with 400 when the name is refused."""
    name = (request.POST.get("name") or "").strip()
    try:
        company = services.company_create(
            membership=request.membership, data=services.CompanyData(name=name)
        )
    except ValidationError as exc:
        return JsonResponse(
            {
                "type": "about:blank",
                "title": _("The company was not created."),
                "status": 400,
                "detail": " ".join(exc.messages),
            },
            status=400,
            content_type="application/problem+json",
        )
    return JsonResponse({"id": str(company.pk), "name": company.name}, status=201)


@permission_required("companies.view")
@require_safe
def company_detail(request, company_id):
    company = _company(request, company_id)
    membership = request.membership
    contacts, more_contacts = [], False
    can_see_contacts = policy.can(membership, "contacts.view")
    if can_see_contacts:
        contacts, more_contacts = selectors.company_contacts(membership, company)
    return render(
        request,
        "contacts/company_detail.html",
        {
            "company": company,
            "contacts": contacts,
            "more_contacts": more_contacts,
            "can_see_contacts": can_see_contacts,
            "timeline": selectors.timeline(company),
            "can_change": policy.can(membership, "companies.change", company),
            "can_delete": policy.can(membership, "companies.delete", company),
            "can_add_contact": policy.can(membership, "contacts.add"),
            "can_add_deal": policy.can(membership, "deals.add"),
        },
    )


def _company_form_page(request, *, company=None):
    membership = request.membership
    if request.method == "POST":
        form = CompanyForm(request.POST, membership=membership)
    else:
        data = (
            services.company_data_of(company)
            if company
            else services.CompanyData(owner_id=membership.user_id)
        )
        form = CompanyForm(initial=CompanyForm.initial_of(data), membership=membership)
    status, loose = 200, []
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                with transaction.atomic():
                    data = form.to_data(_tag_ids(request, form))
                    if company is None:
                        saved = services.company_create(membership=membership, data=data)
                    else:
                        saved = services.company_update(
                            membership=membership, company=company, data=data
                        )
            except ValidationError as exc:
                loose = form.apply_errors(exc)
            else:
                messages.success(
                    request, _("Company created.") if company is None else _("Company saved.")
                )
                return redirect("companies:detail", company_id=saved.pk)
    return render(
        request,
        "contacts/company_form.html",
        {"form": form, "company": company, "loose_errors": loose},
        status=status,
    )


@permission_required("companies.add")
@require_http_methods(["GET", "HEAD", "POST"])
def company_create(request):
    return _company_form_page(request)


@permission_required("companies.change")
@require_http_methods(["GET", "HEAD", "POST"])
def company_edit(request, company_id):
    company = _company(request, company_id)
    require_object(request, "companies.change", company)
    return _company_form_page(request, company=company)


@permission_required("companies.delete")
@require_http_methods(["GET", "HEAD", "POST"])
def company_delete(request, company_id):
    company = _company(request, company_id)
    require_object(request, "companies.delete", company)
    if request.method == "POST":
        try:
            services.company_delete(membership=request.membership, company=company)
        except Refusal as refusal:
            answer(refusal)
            raise
        messages.success(request, _("Company deleted."))
        return redirect("companies:list")
    return render(
        request,
        "contacts/confirm_delete.html",
        {"object": company, "cancel": reverse("companies:detail", args=[company.pk])},
    )
