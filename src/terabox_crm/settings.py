"""The one settings module. Every value an operator can change comes from the
environment through the typed readers in ``env.py``.

Two modes: ``CRM_ENV=production`` refuses to start without its secrets and
host names; anything else is the embedded default, which generates its secrets
into the data dir (with a warning printed by ``serve``) and is still served
over TLS with every security header on.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from terabox_crm import datadir
from terabox_crm.env import (
    ConfigurationError,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    env_subset,
    env_uri,
)

BASE_DIR = Path(__file__).resolve().parent
CRM_ENV = env_str("CRM_ENV", "development")
PRODUCTION = CRM_ENV == "production"
if CRM_ENV not in {"development", "production"}:
    # A typo must not silently give a production host the embedded defaults.
    raise ConfigurationError(f"CRM_ENV must be 'development' or 'production', got {CRM_ENV!r}")
DATA_DIR = datadir.path()

# Where the master key may come from (crypto/master.py; exactly one of them).
_MASTER_KEY_SOURCES = ("CRM_MASTER_KEY", "CRM_MASTER_KEY_FILE", "CRM_MASTER_KEY_COMMAND")
if PRODUCTION:
    SECRET_KEY = env_secret("CRM_SECRET_KEY")
    if not SECRET_KEY:
        raise ConfigurationError(
            "CRM_ENV=production requires CRM_SECRET_KEY (or CRM_SECRET_KEY_FILE)"
        )
    ALLOWED_HOSTS = env_list("CRM_ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ConfigurationError("CRM_ENV=production requires CRM_ALLOWED_HOSTS")
    # Read lazily by crypto.keyring, but a production process must not start without it.
    if not any(env_str(name).strip() for name in _MASTER_KEY_SOURCES):
        raise ConfigurationError(
            "CRM_ENV=production requires CRM_MASTER_KEY, CRM_MASTER_KEY_FILE "
            "or CRM_MASTER_KEY_COMMAND"
        )
else:
    SECRET_KEY = env_secret("CRM_SECRET_KEY") or datadir.generated_secret("secret_key")
    ALLOWED_HOSTS = env_list("CRM_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

DEBUG = False  # Never: tracebacks must not reach a browser (S1). Tests and dev use logs.

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "terabox_crm.inventory",
    "terabox_crm.core",
    "terabox_crm.lists",
    "terabox_crm.crypto",
    "terabox_crm.audit",
    "terabox_crm.auditlog",  # before accounts: its catalog wins for shared msgids
    "terabox_crm.securitydash",
    "terabox_crm.accounts",
    "terabox_crm.communications",
    "terabox_crm.detection",
    "terabox_crm.ops",
    "terabox_crm.notifications",
    "terabox_crm.contacts",
    "terabox_crm.deals",
    "terabox_crm.activities",
    "terabox_crm.support",
    "terabox_crm.web",
    "terabox_crm.api",
    "terabox_crm.policies",
    "terabox_crm.privacy",
    "terabox_crm.erasure",
    "terabox_crm.retention",
    "terabox_crm.dsr",
    "terabox_crm.webhooks",
    "terabox_crm.securityreport",
    "terabox_crm.exports",
    "terabox_crm.imports",
    "terabox_crm.backups",
    "terabox_crm.incidents",
    # Third-party apps come after the product's own: where two apps translate
    # the same English text, the app listed first wins, and the product's
    # words (記録の「担当者」, 「作成日時」) must win over a library's.
    "django_scopes",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "huey.contrib.djhuey",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CSP and X-Frame-Options come right after SecurityMiddleware so that
    # responses produced by later middleware (redirects, 413s) carry them too.
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "terabox_crm.core.middleware.RequestContextMiddleware",
    # Right after the request context: an address blocked for a flood of 4xx
    # answers is refused before sessions or queries, and every final status
    # (the 405 and 413 below included) is counted (S7, detection/middleware.py).
    "terabox_crm.detection.middleware.BlockMiddleware",
    # Before sessions, authentication and redirects: a method the URL does not
    # serve (TRACE, PUT on a page) is a 405 whoever asks (core/methods.py).
    "terabox_crm.core.methods.HttpMethodMiddleware",
    "terabox_crm.core.middleware.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "terabox_crm.accounts.middleware.SessionPolicyMiddleware",
    "terabox_crm.accounts.middleware.UserLanguageMiddleware",
    # Under /api/: Accept-Language, else English; never the UI setting (api/middleware.py).
    "terabox_crm.api.middleware.ApiLanguageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "terabox_crm.core.middleware.WorkspaceMiddleware",
    "terabox_crm.accounts.middleware.MFAEnforcementMiddleware",
    # After two-factor enrolment, before API tokens: a signed-in browser is
    # asked to accept a policy version in force (P10); API tokens never are.
    "terabox_crm.policies.middleware.PolicyAcceptanceMiddleware",
    "terabox_crm.api.authentication.ApiTokenMiddleware",
]

ROOT_URLCONF = "terabox_crm.urls"
ASGI_APPLICATION = "terabox_crm.asgi.application"
WSGI_APPLICATION = "terabox_crm.wsgi.application"

FORM_RENDERER = "terabox_crm.web.forms.Renderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "terabox_crm.core.context_processors.workspace",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE takes the write lock at BEGIN: audit-chain appends from
            # several processes are serialised instead of failing on upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # cache_size and mmap_size: SQLite's default page cache is 2 MiB,
            # which a file of a million contacts (several GiB with its search
            # terms) turns into disk reads on every lookup (docs/performance.md).
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; "
                f"PRAGMA cache_size=-{env_int('CRM_SQLITE_CACHE_MB', 64) * 1024}; "
                f"PRAGMA mmap_size={env_int('CRM_SQLITE_MMAP_MB', 256) * 1024 * 1024};"
            ),
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation off for the product's connections (unless the URL's
    # ?options= sets jit itself): PostgreSQL compiles any query whose
    # *estimated* cost passes jit_above_cost, and the retention engine's
    # walk over due rows (a LIMIT 1000 over a million contacts, estimated at
    # millions) paid ~230 ms of compiling per call for a query that runs in
    # tens of milliseconds (docs/performance.md, Retention on PostgreSQL).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    if "jit" not in _options.get("options", ""):
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, throttling, jobs -------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CRM_CACHE_PREFIX", "tbx"),
        }
    }
else:
    # One file shared by every process of this machine (the web workers, the
    # job worker, commands): sign-in counters and lockouts (S7) hold across
    # them, which a per-process local-memory cache would not.
    CACHES = {
        "default": {
            "BACKEND": "terabox_crm.ops.sqlite_cache.SQLiteCache",
            "LOCATION": str(DATA_DIR / "cache.sqlite3"),
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# Jobs (Huey): SQLite storage in the data dir for the embedded default, Redis
# when several workers or machines share the queue. Payloads carry ids only.
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env_str("CRM_JOBS_NAME", "terabox-crm"),
        "url": REDIS_URL,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "terabox-crm",
        "filename": str(DATA_DIR / "jobs.sqlite3"),
    }
HUEY.update(
    {
        "immediate": env_bool("CRM_JOBS_IMMEDIATE", False),
        "utc": True,
        "consumer": {"workers": env_int("CRM_JOB_WORKERS", 2), "worker_type": "thread"},
    }
)

# --- Retention (P5) ----------------------------------------------------------------
# Legal minimum periods per retention target, in days: JSON
# ({"support.closed_tickets": 1825}) or "target=days,target=days". A rule
# shorter than its target's minimum is refused (docs/operations.md).
RETENTION_MINIMUM_DAYS = env_str("CRM_RETENTION_MINIMUM_DAYS", "")
# The longest a retention batch may hold the write lock (SQLite) before the
# engine shrinks its batches.
RETENTION_LOCK_BUDGET_MS = env_int("CRM_RETENTION_LOCK_BUDGET_MS", 250)

# --- Exports (S4, S5; docs/operations.md "Exports") ------------------------------
# How many processes build one large CSV or JSON export (the job's and its
# helpers, exports/building.py; 1: the job alone), and from how many rows.
# Default: two where the service may use two cores or more.
EXPORT_PROCESSES = env_int("CRM_EXPORT_PROCESSES", min(2, len(os.sched_getaffinity(0))))
EXPORT_PARALLEL_FROM = env_int("CRM_EXPORT_PARALLEL_FROM", 50_000)

# --- Backups (S11; docs/operations.md "Backups and restore") ------------------------
# Where archives go (``backup create --dir`` overrides), the daily job's hour
# (UTC; "off" disables it) and how many daily and weekly archives it keeps.
BACKUP_DIR = Path(env_str("CRM_BACKUP_DIR", "") or DATA_DIR / "backups")
BACKUP_HOUR = env_str("CRM_BACKUP_HOUR", "2")
if BACKUP_HOUR != "off" and not (BACKUP_HOUR.isdigit() and 0 <= int(BACKUP_HOUR) <= 23):
    raise ConfigurationError(f"CRM_BACKUP_HOUR must be 0-23 or off, got {BACKUP_HOUR!r}")
BACKUP_KEEP_DAILY = env_int("CRM_BACKUP_KEEP_DAILY", 7)
BACKUP_KEEP_WEEKLY = env_int("CRM_BACKUP_KEEP_WEEKLY", 4)
if BACKUP_KEEP_DAILY < 1 or BACKUP_KEEP_WEEKLY < 0:
    raise ConfigurationError(
        "CRM_BACKUP_KEEP_DAILY must be at least 1, CRM_BACKUP_KEEP_WEEKLY at least 0"
    )
# --- Detection and alerts (S7; detection/rules.py, securitydash/alerts.py) ---------
# Loopback addresses are never counted or blocked for a flood of 4xx answers
# unless this is on (a desktop install or a local proxy would block itself).
DETECTION_BLOCK_LOOPBACK = env_bool("CRM_DETECTION_BLOCK_LOOPBACK", False)
# Who gets alerts about the whole installation (credential stuffing, attempts
# on unknown accounts): comma-separated addresses; empty = every workspace owner.
SECURITY_ALERT_EMAILS = [
    address.strip()
    for address in env_str("CRM_SECURITY_ALERT_EMAILS", "").split(",")
    if address.strip()
]
# At most one alert digest per chain in this many minutes, however many events.
SECURITY_ALERT_DIGEST_MINUTES = env_int("CRM_SECURITY_ALERT_DIGEST_MINUTES", 15)

# --- Authentication (S2, S7, S14) ------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["terabox_crm.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "terabox_crm.accounts.hashers.TeraboxArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "terabox_crm.accounts.passwords.LengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "terabox_crm.accounts.passwords.ContextWordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 3600  # reset links valid 1 hour (S2)

SESSION_ENGINE = "terabox_crm.accounts.session_store"  # db sessions filed under a hash of the key
SESSION_COOKIE_NAME = "__Host-sessionid"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 30 * 60  # idle timeout (S14); the stored expiry and the cookie's Max-Age
# Reads must not write: a session is saved when it changes, or when its idle
# deadline is SESSION_IDLE_REFRESH_SECONDS old (accounts/tracking.py, touch).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_IDLE_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
SESSION_ABSOLUTE_SECONDS = 12 * 3600
STEP_UP_SECONDS = 5 * 60
# Flash messages live in the session, never in a cookie of their own: every
# cookie the product sets is __Host- prefixed (S14), and a message's text
# ("Welcome to Acme") has no business travelling in the browser.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# What a sign-out tells the browser to forget (Clear-Site-Data, S14;
# accounts/signout.py). "cookies" reaches every cookie of the site's
# registrable domain: an operator serving other apps on sibling subdomains may
# leave it out (docs/operations.md).
SIGN_OUT_CLEAR_SITE_DATA = env_subset(
    "CRM_CLEAR_SITE_DATA", ["cache", "cookies", "storage"], {"cache", "cookies", "storage"}
)

CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "terabox_crm.web.views.csrf_failure"
# The error pages core's middleware answers with (413, 405): handed to it by
# name, as Django hands it the CSRF page, so core never imports the web surface
# (docs/architecture.md).
REQUEST_TOO_LARGE_VIEW = "terabox_crm.web.errors.request_too_large"
ERROR_RESPONSE = "terabox_crm.web.errors.render_error"

# --- Transport security headers (S1) ------------------------------------------------
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preload binds the operator's whole registrable domain for years: their
# decision (CRM_HSTS_PRELOAD), not the product's. Without it, check --deploy's
# W021 only says the site cannot be submitted to the preload list.
SECURE_HSTS_PRELOAD = env_bool("CRM_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("CRM_SSL_REDIRECT", PRODUCTION)
if env_bool("CRM_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
MAX_REQUEST_BODY_BYTES = env_int("CRM_MAX_BODY_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# Imports take a whole CSV or workbook: their own, larger cap (S7), for POSTs
# under these paths only (core.middleware.BodySizeLimitMiddleware). The file
# is streamed to a private temporary file, never held in memory.
MAX_IMPORT_BODY_BYTES = env_int("CRM_MAX_IMPORT_BYTES", 100 * 1024 * 1024)
LARGE_BODY_PATHS = ("/imports/", "/api/v1/imports/")
# A list's bulk action posts up to 1,000 record ids (lists.anatomy.BULK_LIMIT)
# beside its few fields; a little more reaches the action's own refusal,
# which says the limit, instead of a bare 400 (docs/ui.md "Bulk actions").
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1_100
# JSON bodies (the API) have their own, smaller cap: nothing the API takes comes
# near it, and a parser needs memory several times the size it reads (S7).
MAX_JSON_BODY_BYTES = env_int("CRM_MAX_JSON_BYTES", 1024 * 1024)

# --- Internationalisation ------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LANGUAGE_COOKIE_NAME = "__Host-lang"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
USE_I18N = True
USE_TZ = True
# One date and one date-time format per language (core/formats, docs/ui.md).
FORMAT_MODULE_PATH = ["terabox_crm.core.formats"]
TIME_ZONE = env_str("CRM_TIME_ZONE", "Asia/Tokyo")

# --- Static files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(
    exist_ok=True
)  # WhiteNoise serves from the finders; the dir only silences its warning
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

# --- Email --------------------------------------------------------------------------
EMAIL_URL = env_str("CRM_EMAIL_URL", "")
DEFAULT_FROM_EMAIL = env_str("CRM_EMAIL_FROM", "Terabox CRM <no-reply@localhost>")
if EMAIL_URL:
    from terabox_crm.communications.email_url import parse_email_url

    globals().update(parse_email_url(EMAIL_URL))
else:
    # The embedded default keeps outgoing mail in the data dir, one file each,
    # so a newcomer can read invites and alerts without an SMTP server.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"

# --- REST API -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "terabox_crm.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "terabox_crm.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "terabox_crm.api.problems.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["terabox_crm.api.renderers.JSONRenderer"],
    # One JSON parser with depth and size caps (core.jsonbody); no form parsers:
    # no operation takes them, so such bodies are refused with 415.
    "DEFAULT_PARSER_CLASSES": ["terabox_crm.api.parsers.JSONParser"],
}
# /api/schema/ and /api/docs/ (S1, S8): open in development; in production only
# to a signed-in session or a valid token, unless the operator opens them.
API_DOCS_PUBLIC = env_bool("CRM_API_DOCS_PUBLIC", not PRODUCTION)
SPECTACULAR_SETTINGS = {
    "TITLE": "Terabox CRM API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies described apart from responses: a required text field
    # says minLength 1 and an upload says binary, as the API checks them
    # (S8); ``AutoSchema`` keeps the serializers' own names.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # info (description, contact, licence) and tags come from api.schema, and
    # so does a generator that builds one schema at a time (thread safety).
    "DEFAULT_GENERATOR_CLASS": "terabox_crm.api.schema.SchemaGenerator",
    "POSTPROCESSING_HOOKS": [
        "terabox_crm.api.schema.postprocess_enums",
        "terabox_crm.api.schema.document",
    ],
    # Several models have a "kind" or "status" field with different choices:
    # name each enum so the schema stays stable and readable.
    "ENUM_NAME_OVERRIDES": {
        "ActivityKindEnum": "terabox_crm.activities.models.Activity.Kind",
        "StageKindEnum": "terabox_crm.deals.models.Stage.Kind",
        "TaskStatusEnum": "terabox_crm.activities.models.Task.Status",
        "TicketStatusEnum": "terabox_crm.support.models.Status",
        "TicketPriorityEnum": "terabox_crm.support.models.Priority",
        "PrivacyRequestStatusEnum": "terabox_crm.dsr.models.Status",
        "PrivacyRequestKindEnum": "terabox_crm.dsr.models.Kind",
        "TicketSlaStateEnum": "terabox_crm.support.sla.STATES",
        "TicketSlaTargetEnum": "terabox_crm.support.api.serializers.SLA_TARGETS",
        "ContactStageEnum": "terabox_crm.contacts.models.Stage",
        "ContactSourceEnum": "terabox_crm.contacts.models.Source",
        "WarningCodeEnum": "terabox_crm.contacts.api.serializers.WARNING_CODES",
        "ConsentKindEnum": "terabox_crm.privacy.models.ConsentKind",
        "ConsentChannelEnum": "terabox_crm.privacy.models.ConsentChannel",
        "CurrencyEnum": "terabox_crm.deals.models.CURRENCIES",
        "RetentionActionEnum": "terabox_crm.retention.registry.Action.ALL",
        "AuditDetailStateEnum": ["none", "ok", "erased", "unreadable"],
        "WebhookEventEnum": "terabox_crm.webhooks.api.serializers.event_names",
        "IncidentSeverityEnum": "terabox_crm.incidents.models.Severity",
        "IncidentStatusEnum": "terabox_crm.incidents.models.Status",
        "IncidentSourceEnum": "terabox_crm.incidents.models.Source",
        "ImportResourceEnum": "terabox_crm.imports.models.Resource",
        "ImportStatusEnum": "terabox_crm.imports.models.Status",
        "ImportSourceEnum": "terabox_crm.imports.models.Source",
        "ImportFileFormatEnum": "terabox_crm.imports.models.FileFormat",
        "ImportOnDuplicateEnum": "terabox_crm.imports.models.OnDuplicate",
    },
}

# --- Logging: ids only, never personal data -------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("CRM_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.security.DisallowedHost": {"level": "ERROR"},
        "django.request": {"level": "ERROR"},
    },
}

# --- Product ------------------------------------------------------------------------
INVITE_VALID_FOR = timedelta(days=env_int("CRM_INVITE_DAYS", 7))
SITE_URL = env_uri("CRM_SITE_URL", "https://127.0.0.1:8443", schemes=("https",))


def _role_mailbox(site_url: str) -> str:
    """security@ the site's domain (RFC 2142): a role, never a person's address."""
    host = urlsplit(site_url).hostname or ""
    named = "." in host and not host.replace(".", "").isdigit()
    return f"mailto:security@{host if named else 'localhost'}"


# Where vulnerabilities are reported: /.well-known/security.txt (web/security_txt.py).
SECURITY_CONTACT = env_uri(
    "CRM_SECURITY_CONTACT", _role_mailbox(SITE_URL), schemes=("mailto", "https")
)
# Webhooks go to public HTTPS addresses only (SSRF). An operator may allow
# http:// and private/loopback addresses, e.g. for a receiver on the same host.
WEBHOOK_ALLOW_PRIVATE = env_bool("CRM_WEBHOOK_ALLOW_PRIVATE", False)

# --- Policies (P10, P11, S10; policies/config.py, docs/operations.md) ----------------
# Days of notice a new policy version needs: publishing with less is refused,
# and users (and contacts allowed service notices) are told this long before.
POLICY_NOTICE_DAYS = env_int("CRM_POLICY_NOTICE_DAYS", 30)
# Incidents (S13): days until the APPI preliminary report (速報) is due, 1 to 5
# (clamped), and how far back a "this wasn't me" draft reads the audit trail.
INCIDENT_PRELIMINARY_DAYS = env_int("CRM_INCIDENT_PRELIMINARY_DAYS", 3)
INCIDENT_WINDOW_DAYS = env_int("CRM_INCIDENT_WINDOW_DAYS", 14)
# The contact block of the privacy policy §7 and the request page (P11). A role
# address, never a person's: the policy pages are public.
PRIVACY_CONTACT = {
    "organisation_ja": env_str("CRM_PRIVACY_CONTACT_ORGANISATION_JA", "テラボックス株式会社"),
    "organisation_en": env_str("CRM_PRIVACY_CONTACT_ORGANISATION_EN", "Terabox Inc."),
    "desk_ja": env_str("CRM_PRIVACY_CONTACT_DESK_JA", "個人情報お問い合わせ窓口"),
    "desk_en": env_str("CRM_PRIVACY_CONTACT_DESK_EN", "Privacy enquiries"),
    "address_ja": env_str("CRM_PRIVACY_CONTACT_ADDRESS_JA", ""),
    "address_en": env_str("CRM_PRIVACY_CONTACT_ADDRESS_EN", ""),
    "email": env_str(
        "CRM_PRIVACY_CONTACT_EMAIL",
        _role_mailbox(SITE_URL).replace("security@", "privacy@", 1).removeprefix("mailto:"),
    ),
    "phone": env_str("CRM_PRIVACY_CONTACT_PHONE", ""),
    "hours_ja": env_str("CRM_PRIVACY_CONTACT_HOURS_JA", ""),
    "hours_en": env_str("CRM_PRIVACY_CONTACT_HOURS_EN", ""),
}
# The sub-processor register (S10): a JSON file the operator keeps, read at
# start-up (policies/config.py). Without it the register lists the outgoing
# mail relay of CRM_EMAIL_URL, if any.
SUBPROCESSORS_FILE = env_str("CRM_SUBPROCESSORS_FILE", "")
