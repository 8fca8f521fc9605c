"""Settings shared by every environment. Everything that differs between machines comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ

from cnimgr.settings.embedded import data_dir, filesystem_broker, local_keys
from lifecycle.addresses import DEFAULT_FORBIDDEN_NETWORKS, parse_networks

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DATA_DIR = data_dir(BASE_DIR)
_LOCAL_KEYS = local_keys(DATA_DIR) if not env.bool("CNIMGR_REQUIRE_KEYS", default=False) else {}

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_LOCAL_KEYS.get("secret_key", ""))
# First key encrypts, all keys decrypt: add a new key in front, run `manage.py rotate_encryption_keys`, drop the old.
ENCRYPTION_KEYS: list[str] = env.list("CNIMGR_ENCRYPTION_KEYS", default=[_LOCAL_KEYS.get("encryption_key", "")])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "accounts",
    "audit",
    "clusters",
    "operations",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cnimgr.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "cnimgr.urls"
WSGI_APPLICATION = "cnimgr.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context.navigation",
            ]
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'cnimgr.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL and a busy timeout let the web server and the worker share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Take the write lock when a transaction starts, so concurrent writers wait (busy timeout)
            # instead of failing at once with "database is locked" when a read lock cannot be upgraded.
            "transaction_mode": "IMMEDIATE",
        }
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:fleet"
LOGOUT_REDIRECT_URL = "frontend:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("CNIMGR_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Celery -------------------------------------------------------------------------------------------------
_fs_broker_url, _fs_broker_options = filesystem_broker(DATA_DIR)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=_fs_broker_url)
CELERY_BROKER_TRANSPORT_OPTIONS = _fs_broker_options if CELERY_BROKER_URL.startswith("filesystem") else {}
CELERY_RESULT_BACKEND = None  # the Run table is the record, not Celery's result backend
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # a killed worker leaves the message for another one
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = env.int("CNIMGR_RUN_TIME_LIMIT", default=3600)
CELERY_TASK_ALWAYS_EAGER = False
# How often every enabled cluster is looked at (read-only) to refresh the fleet page; 0 turns it off.
CNIMGR_OBSERVE_MINUTES = env.int("CNIMGR_OBSERVE_MINUTES", default=15)
# Also look at a cluster right after it is registered or its connection settings change.
CNIMGR_OBSERVE_ON_CHANGE = env.bool("CNIMGR_OBSERVE_ON_CHANGE", default=True)
CELERY_BEAT_SCHEDULE = {
    "reconcile-runs": {"task": "operations.tasks.reconcile_runs", "schedule": timedelta(seconds=30)},
}
if CNIMGR_OBSERVE_MINUTES > 0:
    CELERY_BEAT_SCHEDULE["observe-fleet"] = {
        "task": "clusters.tasks.observe_fleet",
        "schedule": timedelta(minutes=CNIMGR_OBSERVE_MINUTES),
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# How long a worker may go without heart-beating before its run is declared lost.
CNIMGR_LEASE_SECONDS = env.int("CNIMGR_LEASE_SECONDS", default=120)
# How long a run waits before asking again for a cluster that another changing run holds.
CNIMGR_LEASE_RETRY_SECONDS = env.int("CNIMGR_LEASE_RETRY_SECONDS", default=15)
# Addresses cnimgr never sends cluster credentials to (CIDRs, comma-separated); checked after DNS resolution.
CNIMGR_FORBIDDEN_NETWORKS = parse_networks(
    env.list("CNIMGR_FORBIDDEN_NETWORKS", default=list(DEFAULT_FORBIDDEN_NETWORKS))
)
CNIMGR_QUEUED_RESEND_SECONDS = env.int("CNIMGR_QUEUED_RESEND_SECONDS", default=120)

# --- REST API ---------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "cnimgr.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cnimgr.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "20/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cnimgr API",
    "DESCRIPTION": "Manage the Linkerd CNI plugin and control plane across a fleet of Kubernetes clusters.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["accounts.permissions.RolePermission"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

# --- Logging: structured, with secrets redacted ---------------------------------------------------------------
LOG_LEVEL = env.str("CNIMGR_LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("CNIMGR_LOG_FORMAT", default="console")  # console | json
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "cnimgr.redaction.RedactingFilter"}},
    "formatters": {
        "structured": {"()": "cnimgr.logging.structured_formatter", "json": LOG_FORMAT == "json"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"kubernetes": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}
