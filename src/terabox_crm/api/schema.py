"""The OpenAPI schema's conventions, in one place (S8: the API fuzz tests the
API against this schema, so the schema must say what the API does).

``AutoSchema`` (``DEFAULT_SCHEMA_CLASS``) derives from each view what its
operations share instead of repeating it per view:

* **tags and summaries by resource** — the path segment after ``/api/v1/``
  names the resource (``RESOURCES``); standard actions get "List contacts",
  "Get a contact", …; a custom action's summary is the first line of its
  docstring and the rest its description;
* **query parameters** — a list's ``list_params`` serializer (``api.query``),
  so the parameters checked are the parameters documented;
* **problem responses** — every operation lists the RFC 9457 problem details
  it can answer, each a ``components/responses`` entry over one ``Problem``
  schema in ``application/problem+json``: 401 and 403 wherever a caller must
  be authenticated and allowed, 404 where the path names a record, 400 for
  query parameters or any write, 413 and 415 where a body is read, 429 where
  the view is throttled, and 409 or 410 where an action says it answers them
  (``answers``).

``SchemaGenerator`` (``DEFAULT_GENERATOR_CLASS``) builds one schema at a
time: drf-spectacular loads its extensions lazily and not thread-safely, so
the first schema requests arriving together (each view of ``serve`` runs in a
thread of its own) answered 500.

``document`` (a postprocessing hook) writes ``info`` — how to authenticate,
pagination, errors, times, limits, contact and licence — and the tag list.
"""

from __future__ import annotations

import inspect
import threading

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from drf_spectacular import generators
from drf_spectacular.hooks import postprocess_schema_enums
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

from terabox_crm.api import problems
from terabox_crm.core import jsonbody

# Resource (path segment after /api/v1/) → (one, many, what it is). The order is the tag order.
RESOURCES = {
    "contacts": ("a contact", "contacts", "People: names, emails, phones, lifecycle stage."),
    "companies": ("a company", "companies", "Organisations contacts and deals belong to."),
    "tags": ("a tag", "tags", "Labels on contacts and companies (names only)."),
    "pipelines": ("a pipeline", "pipelines", "Sales pipelines and their ordered stages."),
    "deals": ("a deal", "deals", "Opportunities moving through a pipeline's stages."),
    "activities": ("an activity", "activities", "Calls, meetings, emails and notes on a record."),
    "tasks": ("a task", "tasks", "To-dos with a due time and an optional reminder."),
    "tickets": ("a ticket", "tickets", "Support tickets with status, priority and SLA clocks."),
    "incidents": (
        "an incident",
        "incidents",
        "The incident register (S13): timeline, data concerned and the APPI/GDPR report clocks.",
    ),
    "privacy-requests": (
        "a privacy request",
        "privacy requests",
        "Verified data-subject requests in the privacy officers' queue (P9).",
    ),
    "consents": (
        "a consent event",
        "consent events",
        "The consent ledger: append-only grant and withdraw events per contact and purpose (P7).",
    ),
    "third-party-provisions": (
        "a provision record",
        "provision records",
        "Personal data provided to third parties (P4): recipient, date, people, categories.",
    ),
    "third-party-receipts": (
        "a receipt record",
        "receipt records",
        "Personal data received from third parties (P4), with the consent reference.",
    ),
    "audit-events": (
        "an audit event",
        "audit events",
        "The workspace's tamper-evident audit trail (S5).",
    ),
    "security-events": (
        "a security event",
        "security events",
        "Security events only: failed sign-ins, refusals, probing (S7).",
    ),
    "webhook-endpoints": (
        "a webhook endpoint",
        "webhook endpoints",
        "Where the workspace's events are delivered, signed, and each delivery's history.",
    ),
    "exports": (
        "an export",
        "exports",
        "Guarded exports of a list to CSV, XLSX or JSON: purpose-gated, approved above a "
        "threshold, downloaded once (S4, S5).",
    ),
    "imports": (
        "an import",
        "imports",
        "Imports of contacts and companies from CSV or XLSX: column mapping, dry run, dedupe, "
        "third-party consent references (P4) and a report of every row.",
    ),
    "retention-rules": (
        "a retention rule",
        "retention rules",
        "How long each kind of data is kept, then deleted, anonymised or shredded (P5).",
    ),
    "legal-holds": (
        "a legal hold",
        "legal holds",
        "Contacts whose data no retention rule may expire while the hold stands (P5).",
    ),
    "data-inventory": (
        "the data inventory",
        "data inventory",
        "Every personal field the product stores, with purposes and retention (P1).",
    ),
}

_STANDARD_SUMMARIES = {
    "list": "List {many}",
    "retrieve": "Get {one}",
    "create": "Create {one}",
    "update": "Replace {one}",
    "partial_update": "Update {one}",
    "destroy": "Delete {one}",
}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details. `type` is stable and identifies the kind of "
    "problem; `title` and `detail` follow `Accept-Language` (ja or en), else English.",
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "description": f"Stable problem type under {problems.TYPE_BASE}, "
            "e.g. …/validation, …/not-found, …/malformed-json.",
        },
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "For …/validation: field name → messages (nested for nested "
            "fields; non_field_errors for the whole body). Nothing was changed.",
            "additionalProperties": {},
        },
        "request_id": {"type": "string", "description": "Quote it to the operator."},
    },
    "required": ["type", "title", "status"],
}

# Status → (response component name, description).
PROBLEM_RESPONSES = {
    400: (
        "BadRequest",
        "The request was refused and nothing was changed: a malformed or too deeply nested "
        "JSON body, a query parameter outside its schema, or values the service refuses "
        "(`errors` names each field).",
    ),
    401: (
        "Unauthenticated",
        "No valid credentials: send `Authorization: Bearer <token>` (or use a signed-in session).",
    ),
    403: (
        "Forbidden",
        "Authenticated, but the role, the token's scopes, two-factor enrolment or a recent "
        "step-up do not allow this.",
    ),
    404: (
        "NotFound",
        "No such record in this workspace, or not one the caller may see.",
    ),
    409: (
        "Conflict",
        "The record is not in a state that allows this (the problem's `type` says which, "
        "e.g. an export not waiting for approval); nothing was changed.",
    ),
    410: (
        "Gone",
        "What the link gave is gone: a download handed out once already, or expired. "
        "Recorded as a security event; ask for a new one.",
    ),
    413: ("TooLarge", "The body is larger than the API reads."),
    415: ("UnsupportedMediaType", "The body is not `application/json`."),
    429: ("Throttled", "Too many requests; retry after `Retry-After` seconds."),
}

_BODY_METHODS = {"POST", "PUT", "PATCH"}  # the methods drf-spectacular gives a body


def answers(*statuses: int):
    """Mark a view method or custom action as answering these problem
    statuses too (409, 410: what only the action knows it can answer), so
    the schema documents them (``AutoSchema.problem_statuses``)."""
    unknown = set(statuses) - set(PROBLEM_RESPONSES)
    if unknown:
        raise ValueError(f"no problem response for {sorted(unknown)}")

    def mark(handler):
        handler.problem_statuses = tuple(statuses)
        return handler

    return mark


def resource_of(path: str) -> str:
    parts = [part for part in path.split("/") if part]
    if "v1" in parts and parts.index("v1") + 1 < len(parts):
        return parts[parts.index("v1") + 1]
    return parts[0] if parts else ""


def _doc_parts(obj) -> tuple[str, str]:
    """A docstring's first line (the summary) and the rest (the description)."""
    doc = inspect.getdoc(obj) or ""
    first, _, rest = doc.partition("\n")
    return first.strip(), rest.strip()


class SchemaGenerator(generators.SchemaGenerator):
    _lock = threading.Lock()

    def get_schema(self, request=None, public=False):
        with self._lock:
            return super().get_schema(request=request, public=public)


class AutoSchema(SpectacularAutoSchema):
    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def _custom_action(self):
        """The view method of a custom ``@action``, else None."""
        action = self._action()
        if action is None or action in _STANDARD_SUMMARIES:
            return None
        return getattr(self.view, action, None)

    def get_operation(self, *args, **kwargs):
        # One language for the whole reference, whatever the request's: the
        # descriptions here are English, and so must be the model names and
        # choice labels Django would otherwise translate into ja.
        with translation.override("en"):
            return super().get_operation(*args, **kwargs)

    def get_request_serializer(self):
        """A view's ``request_serializers`` by action; an action it does not name
        takes no body. Views without the map keep DRF's serializer_class."""
        declared = getattr(self.view, "request_serializers", None)
        if declared is None:
            return super().get_request_serializer()
        return declared.get(self._action())

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        """drf-spectacular names a request body ``…Request`` once requests and
        responses are split; ours are already split by name (``ContactIn`` in,
        ``ContactOut`` out), so the name stays the serializer's."""
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        if direction == "request" and name.endswith("InRequest"):
            name = name.removesuffix("Request")
        return name

    def get_tags(self) -> list[str]:
        return [resource_of(self.path)]

    def get_summary(self) -> str | None:
        one, many, _ = RESOURCES.get(resource_of(self.path), ("a record", "records", ""))
        action = self._action()
        if action in _STANDARD_SUMMARIES:
            return _STANDARD_SUMMARIES[action].format(one=one, many=many)
        # The handler: a viewset's action (``create`` …), else the method.
        handler = getattr(self.view, self._action() or self.method.lower(), None)
        summary, _ = _doc_parts(handler)
        if not summary and self.method == "GET":
            summary = f"Get {one}"
        return summary or None

    def get_description(self) -> str:
        handler = self._custom_action()
        if handler is not None:
            return _doc_parts(handler)[1]
        if self._action() is None:  # a plain APIView: its method's docstring after the summary
            own = _doc_parts(getattr(self.view, self.method.lower(), None))[1]
            return own or inspect.cleandoc(self.view.__class__.__doc__ or "")
        # The view's own docstring, never one inherited from a DRF mixin.
        return inspect.cleandoc(self.view.__class__.__doc__ or "")

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        declared = getattr(self.view, "list_params", None)
        if declared is not None and self._action() == "list":
            parameters.append(declared)
        return parameters

    # --- problem responses ---------------------------------------------------------

    def problem_statuses(self) -> list[int]:
        statuses = set()
        permissions = getattr(self.view, "permission_classes", [])
        if not all(issubclass(cls, AllowAny) for cls in permissions):
            statuses |= {401, 403}
        if "{" in self.path:
            statuses.add(404)
        # A view acting on a record named in its query or body (a contact's
        # consents, a legal hold) answers 404 when that record is not there.
        statuses |= set(getattr(self.view, "extra_problem_statuses", ()))
        # What one action answers besides (``answers``): a state conflict, a gone link.
        # The handler: a viewset's action (``create`` …), else the method.
        handler = getattr(self.view, self._action() or self.method.lower(), None)
        statuses |= set(getattr(handler, "problem_statuses", ()))
        if self.method in _BODY_METHODS and self.get_request_serializer() is not None:
            statuses |= {413, 415}
        if self.method != "GET" or self._has_query_parameters():
            statuses.add(400)
        if getattr(self.view, "throttle_classes", None):
            statuses.add(429)
        return sorted(statuses)

    def _has_query_parameters(self) -> bool:
        return any(p.get("in") == "query" for p in self._get_parameters())

    def _problem_response(self, status: int) -> dict:
        schema = ResolvedComponent(
            name="Problem",
            type=ResolvedComponent.SCHEMA,
            schema=PROBLEM_SCHEMA,
            object="Problem",
        )
        self.registry.register_on_missing(schema)
        name, description = PROBLEM_RESPONSES[status]
        response = ResolvedComponent(
            name=name,
            type=ResolvedComponent.RESPONSE,
            schema={
                "description": description,
                "content": {problems.CONTENT_TYPE: {"schema": schema.ref}},
            },
            object=name,
        )
        self.registry.register_on_missing(response)
        return response.ref

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self.problem_statuses():
            responses.setdefault(str(status), self._problem_response(status))
        return responses


INFO_DESCRIPTION = """\
The REST API of Terabox CRM: the same records, permissions and audit trail as the web app.

**Authentication.** Send a personal access token as `Authorization: Bearer tbx_…`. Create one
on the *API tokens* page or with `terabox-crm token --email E --workspace NAME --scopes
read,write`. A token acts in its workspace with its owner's role, narrowed by its scopes:
`read` for GET, `write` for changes, `export` for exports. A signed-in browser session works
too (with its CSRF token for writes).

**Pagination.** Lists are cursor-paginated, newest first unless `sort` says otherwise:
follow `next` and `previous`; `page_size` takes 1 to 200 (default 50). Any other value, like a
cursor that does not decode, is a 400 problem.

**Errors.** Every error is an RFC 9457 problem (`application/problem+json`) with a stable
`type` under https://terabox-crm.dev/problems/, a `title` and `detail` in the first language
of `Accept-Language` that the API speaks (`ja` or `en`), else English — never the token owner's
UI language — and, for validation errors, an `errors` map of field to messages. A refused request changes nothing. Another workspace's id is a 404, never a 403.

**Times.** Every date-time the API returns is RFC 3339 in UTC with `Z`
(`2026-04-01T00:30:00Z`, fractional seconds when non-zero). Date-times sent to it must be RFC
3339 with an offset (`Z` or `+09:00`); dates are `YYYY-MM-DD`. Both must lie between
1900-01-01 and 2200-12-31.

**Values.** Fields take exactly the JSON type the schema gives: strings are not numbers,
booleans are `true`/`false`, ids are UUIDs in their 8-4-4-4-12 form, amounts are decimal
strings (`"5000.00"`).

**Limits.** JSON bodies up to {json_limit}, nested at most {depth} levels; any request body
up to {body_limit}. A body nested deeper than that is recorded as a security event.
"""


def postprocess_enums(result, generator, **kwargs):
    """drf-spectacular's enum hook, in English like the rest (``get_operation``)."""
    with translation.override("en"):
        return postprocess_schema_enums(result, generator, **kwargs)


def document(result, generator, request, public):
    """Postprocessing hook: the schema's ``info`` and its tag list."""
    result["info"]["description"] = INFO_DESCRIPTION.format(
        json_limit=filesizeformat(settings.MAX_JSON_BODY_BYTES),
        body_limit=filesizeformat(settings.MAX_REQUEST_BODY_BYTES),
        depth=jsonbody.MAX_DEPTH,
    )
    result["info"]["contact"] = {
        "name": "Terabox CRM maintainers",
        "url": "https://terabox-crm.dev/",
    }
    # pyproject.toml's licence: no public licence is granted.
    result["info"]["license"] = {"name": "Proprietary (LicenseRef-Proprietary)"}
    used = {tag for item in result.get("paths", {}).values() for op in item.values()
            for tag in op.get("tags", [])}  # fmt: skip
    result["tags"] = [
        {"name": name, "description": description}
        for name, (_, _, description) in RESOURCES.items()
        if name in used
    ]
    return result
