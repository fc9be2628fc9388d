"""Try every URL of the project with another workspace's ids (S6).

``assert_no_cross_workspace_access(client, user=..., foreign=...)`` walks every
URL pattern (``get_resolver()``, recursively through includes), fills each
parameter with the id of an object that belongs to the *foreign* workspace,
requests it with GET, POST, PUT, PATCH and DELETE as ``user`` (signed in with a
fresh step-up, so step-up never hides a leak), and fails unless every answer is

* 404 (the object is not yours to see), 403, 401 or 405 (nothing done), or
* a redirect to the sign-in or step-up page,

and unless no answer contains the foreign object's identifying data (its id,
the foreign workspace's name and slug, the foreign owner's email, and whatever
the parameter's factory names) and no row of the foreign workspace changed.

How parameters are filled
-------------------------
A registry maps a parameter *name* (``membership_id``) to a factory that
takes the ``Foreign`` world and returns a ``ForeignId``. Each app registers its
own in ``<app>/tests/cross_workspace_ids.py`` (imported automatically), e.g.::

    from terabox_crm.testing.cross_workspace import ForeignId, param

    @param("contact_id")
    def _contact(foreign):
        contact = make_contact(foreign.workspace, name="Foreign Person")
        return ForeignId(contact.pk, identifying=("Foreign Person",))

A URL whose parameter has no factory fails the test, so a new URL is never
skipped silently. URLs whose parameter is a credential rather than an object
id (the invite link's token) are listed with ``public(url_name, reason)``;
they are tested on their own, beside the app that owns them.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from terabox_crm.testing.auth import login

METHODS = ("get", "post", "put", "patch", "delete")
ALLOWED_STATUSES = {401, 403, 404, 405}


@dataclass(frozen=True)
class Foreign:
    """The other workspace, where every foreign object is made."""

    workspace: object
    owner: object  # a user who is an owner of ``workspace`` only
    membership: object


@dataclass(frozen=True)
class ForeignId:
    """A value for one URL parameter, and what must never show in an answer."""

    value: object
    identifying: tuple[str, ...] = ()


ParamFactory = Callable[[Foreign], ForeignId]

_params: dict[str, ParamFactory] = {}
_public: dict[str, str] = {}
_discovered = False


def param(name: str) -> Callable[[ParamFactory], ParamFactory]:
    """Register the factory for URL parameter ``name`` (one per name, project-wide)."""

    def decorator(factory: ParamFactory) -> ParamFactory:
        if name in _params and _params[name] is not factory:
            raise ValueError(f"cross-workspace parameter {name!r} registered twice")
        _params[name] = factory
        return factory

    return decorator


def public(url_name: str, reason: str) -> None:
    """Exempt ``url_name``: its parameter is a credential (a token), not an object id."""
    _public[url_name] = reason


def public_urls() -> dict[str, str]:
    discover()
    return dict(_public)


# A parameter that is part of the URL grammar, not an object: DRF's format suffix.
param("format")(lambda foreign: ForeignId("json"))


def discover() -> None:
    """Import ``<app>.tests.cross_workspace_ids`` of every project app (once)."""
    global _discovered
    if _discovered:
        return
    for config in apps.get_app_configs():
        if not config.name.startswith("terabox_crm."):
            continue
        module = f"{config.name}.tests.cross_workspace_ids"
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:  # the app has no tests package
            found = None
        if found is not None:
            importlib.import_module(module)
    _discovered = True


# --- Walking the URL patterns ------------------------------------------------------------


@dataclass
class Route:
    name: str | None  # namespaced, e.g. "core:member_role"
    route: str  # the pattern as written, for messages
    params: dict[str, object] = field(default_factory=dict)  # name -> converter (None for regex)
    positional: bool = False  # a regex with unnamed groups: cannot be filled
    route_only: bool = True  # every level is a path() route (buildable without a name)

    @property
    def label(self) -> str:
        return self.name or self.route


def _pattern_params(pattern) -> tuple[dict[str, object], bool]:
    if isinstance(pattern, RoutePattern):
        return dict(pattern.converters), False
    if isinstance(pattern, RegexPattern):
        regex = pattern.regex
        named = {name: None for name in regex.groupindex}
        return named, regex.groups > len(regex.groupindex)
    return {}, False


def routes(patterns=None, *, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    """Every URL pattern of the project, with its namespaced name and parameters."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        params, positional = _pattern_params(entry.pattern)
        route_only = isinstance(entry.pattern, RoutePattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            for inner in routes(
                entry.url_patterns, prefix=prefix + str(entry.pattern), namespace=ns
            ):
                inner.params = {**params, **inner.params}
                inner.positional = inner.positional or positional
                inner.route_only = inner.route_only and route_only
                yield inner
        elif isinstance(entry, URLPattern):
            name = entry.name
            if name and namespace:
                name = f"{namespace}:{name}"
            yield Route(
                name=name,
                route=prefix + str(entry.pattern),
                params=params,
                positional=positional,
                route_only=route_only,
            )


_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


def _build(route: Route, values: dict[str, object]) -> str:
    if route.name:
        try:
            return reverse(route.name, kwargs=values)
        except NoReverseMatch:
            if not route.route_only:
                raise
    if not route.route_only:
        raise NoReverseMatch(f"{route.route}: an unnamed regex URL cannot be built; name it")

    def fill(match: re.Match) -> str:
        name = match.group("parameter")
        converter = route.params.get(name)
        value = values[name]
        return converter.to_url(value) if converter is not None else str(value)

    return "/" + _ROUTE_PARAM.sub(fill, route.route)


# --- Checking answers ---------------------------------------------------------------------


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def _gate_paths() -> tuple[str, ...]:
    """Where a refusal may send the browser: sign-in and step-up."""
    paths = [reverse(settings.LOGIN_URL)]
    with contextlib.suppress(NoReverseMatch):  # before the accounts app has step-up
        paths.append(reverse("accounts:step_up"))
    return tuple(paths)


def _snapshot(foreign: Foreign) -> dict[str, list]:
    """Every row of the foreign workspace (any model with a ``workspace_id``)."""
    state: dict[str, list] = {}
    workspace_model = type(foreign.workspace)
    state["workspace"] = list(
        workspace_model._base_manager.filter(pk=foreign.workspace.pk).values()
    )
    for model in apps.get_models():
        if any(f.attname == "workspace_id" for f in model._meta.concrete_fields):
            rows = model._base_manager.filter(workspace_id=foreign.workspace.pk)
            state[model._meta.label] = list(rows.order_by("pk").values())
    return state


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)  # "METHOD url (name)"
    names: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Target:
    route: Route
    url: str
    identifying: set[str]


def _plan(foreign: Foreign, report: Report) -> list[_Target]:
    """Make the foreign objects and build one URL per parametrised route."""
    common = {
        str(foreign.workspace.pk),
        foreign.workspace.name,
        foreign.workspace.slug,
        foreign.owner.email,
    }
    made: dict[str, ForeignId] = {}
    targets = []
    for route in routes():
        if not route.params and not route.positional:
            continue
        if route.name in _public:
            continue
        if route.positional:
            report.problems.append(
                f"{route.label}: has unnamed regex groups; name them so they can be filled"
            )
            continue
        missing = [name for name in route.params if name not in _params]
        if missing:
            report.problems.append(
                f"{route.label}: no cross-workspace factory for parameter(s) {missing}; "
                "register one in <app>/tests/cross_workspace_ids.py "
                "(or list the URL with public() if the parameter is a token)"
            )
            continue
        values = {}
        identifying = set(common)
        for name in route.params:
            if name not in made:
                value = _params[name](foreign)
                made[name] = value if isinstance(value, ForeignId) else ForeignId(value)
            values[name] = made[name].value
            identifying.update(str(item) for item in made[name].identifying if item)
            if name != "format":
                identifying.add(str(made[name].value))
        try:
            url = _build(route, values)
        except NoReverseMatch as exc:
            report.problems.append(f"{route.label}: cannot build a URL ({exc})")
            continue
        targets.append(_Target(route, url, identifying))
    return targets


def _judge(response, target: _Target, method: str, gates: tuple[str, ...]) -> list[str]:
    where = f"{method.upper()} {target.url} ({target.route.label})"
    problems = []
    status = response.status_code
    if status in {301, 302, 303, 307, 308}:
        location = urlsplit(response.get("Location", "")).path
        if not location.startswith(gates):
            problems.append(
                f"{where}: redirected to {location!r}, expected 404/403 or the sign-in/step-up page"
            )
    elif status not in ALLOWED_STATUSES:
        problems.append(f"{where}: answered {status}, expected 404")
    body = _body(response)
    # The page may echo the requested path (a language switcher's "next"); the
    # requester knows that path already, so only other mentions count.
    for echo in (target.url, quote(target.url, safe=""), quote(target.url)):
        body = body.replace(echo, "")
    leaked = sorted(item for item in target.identifying if item and item in body)
    if leaked:
        problems.append(f"{where}: the answer contains {leaked}")
    return problems


def check_all(client, *, user, foreign: Foreign, sign_in: Callable | None = None) -> Report:
    """Request every parametrised URL with foreign ids; collect the problems.

    ``user`` is signed in again before every request (with a fresh step-up),
    so a view that signs people out cannot hide the URLs after it.
    """

    discover()
    sign_in = sign_in or (lambda: login(client, user, step_up=True))
    gates = _gate_paths()
    report = Report()
    targets = _plan(foreign, report)
    before = _snapshot(foreign)
    for target in targets:
        report.names.add(target.route.label)
        for method in METHODS:
            sign_in()
            report.checked.append(f"{method.upper()} {target.url} ({target.route.label})")
            try:
                response = getattr(client, method)(target.url, secure=True)
            except Exception as exc:  # a crash is a finding, not the end of the walk
                report.problems.append(
                    f"{method.upper()} {target.url} ({target.route.label}): "
                    f"raised {type(exc).__name__}: {exc}"
                )
                continue
            report.problems.extend(_judge(response, target, method, gates))
    after = _snapshot(foreign)
    for label, rows in before.items():
        if after.get(label) != rows:
            report.problems.append(f"rows of {label} in the foreign workspace changed")
    return report


def assert_no_cross_workspace_access(client, *, user, foreign: Foreign) -> Report:
    """Fail with every problem found (not only the first); return what was checked."""
    report = check_all(client, user=user, foreign=foreign)
    if report.problems:
        raise AssertionError("cross-workspace access:\n  " + "\n  ".join(report.problems))
    return report
