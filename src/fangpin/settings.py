"""Settings read from the environment.

FANGPIN_DATA_DIR   where the SQLite file, uploads and the secret key live (default ./var)
DATABASE_URL       e.g. postgres://user@host:5432/db; default: SQLite file in the data dir
FANGPIN_DEBUG      "1" turns on debug pages (the demo does this); off otherwise
FANGPIN_ALLOWED_HOSTS  comma-separated host names (default: localhost names)
FANGPIN_SESSION_IDLE_MINUTES  idle minutes before a session expires (default 30)
FANGPIN_HTTPS      "1" when users reach the site over HTTPS (directly or through a TLS proxy): cookies are
                   sent only over HTTPS and browsers are told to use HTTPS for a year (HSTS, subdomains too)
FANGPIN_SSL_REDIRECT  "1" redirects plain-HTTP requests to HTTPS (only with FANGPIN_HTTPS=1; leave off when
                   the proxy already redirects)
FANGPIN_PROXY_SSL_HEADER  request header the TLS proxy sets to "https", e.g. HTTP_X_FORWARDED_PROTO; set it
                   only behind a proxy that overwrites that header. The client address for login throttling
                   is then the last X-Forwarded-For entry (the one the proxy added).
FANGPIN_UPLOAD_MAX_MB  largest file one may upload (photos, attachments, evidence), in MB (default 20); a
                   larger one is refused while it arrives and nothing of it is kept
FANGPIN_IMPORT_UPLOAD_MAX_MB  the same for table imports (ledger, pushed list), in MB (default 100)
FANGPIN_UPLOAD_REQUEST_MAX_MB  largest request body, in MB (default the larger of 5 × FANGPIN_UPLOAD_MAX_MB and
                   FANGPIN_IMPORT_UPLOAD_MAX_MB, plus 1), answered 413 before it is read
FANGPIN_XLSX_MAX_EXPANDED_MB, FANGPIN_XLSX_MAX_RATIO, FANGPIN_XLSX_MAX_ROWS  an .xlsx is refused before it is
                   opened when its parts expand beyond this size in MB (default 2048), any part expands more
                   than this many times (default 100), or a sheet has more rows (default 1,048,576, Excel's own)
FANGPIN_JOB_FILES_DAYS  days a finished background job's file (export, error sheet) is kept (default 30)
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("FANGPIN_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """A key generated once per data dir and kept there, so sessions survive restarts."""
    if os.environ.get("FANGPIN_SECRET_KEY"):
        return os.environ["FANGPIN_SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("FANGPIN_DEBUG") == "1"
ALLOWED_HOSTS = os.environ.get("FANGPIN_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "bootstrap",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "fangpin.core",
    "fangpin.regions",
    "fangpin.registry",
    "fangpin.monitoring",
    "fangpin.cases",
    "fangpin.assistance",
    "fangpin.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "fangpin.core.uploads.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fangpin.core.middleware.RequestIdMiddleware",
    "fangpin.core.scoping.RequestScopeMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "fangpin.urls"
WSGI_APPLICATION = "fangpin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fangpin.core.context_processors.fangpin",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'fangpin.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "fangpin.core.auth.NotDemoPasswordValidator"},  # the demo accounts' published password
]

# Login throttling for 15 minutes after repeated failures, counted three ways so that neither many user
# names from one address (spraying) nor one user name from many addresses gets through. The limits per way
# are read by fangpin.core.login_throttle.LoginThrottleHandler; AXES_FAILURE_LIMIT is the pair's limit.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
FANGPIN_LOGIN_FAILURE_LIMITS = {"username+ip_address": 5, "username": 5, "ip_address": 20}
AXES_HANDLER = "fangpin.core.login_throttle.LoginThrottleHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Sessions end after a period without activity and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("FANGPIN_SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SAMESITE = "Lax"

# Transport. Always: no MIME sniffing, no referrer outside the site, never inside a frame.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
HTTPS = os.environ.get("FANGPIN_HTTPS") == "1"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = os.environ.get("FANGPIN_SSL_REDIRECT") == "1"
if os.environ.get("FANGPIN_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["FANGPIN_PROXY_SSL_HEADER"], "https")
    AXES_CLIENT_IP_CALLABLE = "fangpin.core.login_throttle.client_address_behind_proxy"

# Passwords: argon2 for new and changed passwords; PBKDF2 stays so that older hashes still verify and are
# rehashed with argon2 at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

# Content-Security-Policy on every response: scripts only from this site (no inline script, no eval), so
# injected markup cannot run. Inline `<style>` elements are refused as well; style *attributes* are allowed
# ('unsafe-inline' under style-src-attr only) because Plotly draws its charts with them and pages size
# progress bars with them; an attribute cannot run script. The API documentation views widen this for
# their own responses only (see fangpin.api_urls).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from finders; it warns when this is absent
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "fangpin.monitoring.standards.staticfiles.PlotlyFinder",  # plotly.min.js from the installed package
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# Uploads: the size limit is enforced while a file arrives (fangpin.core.uploads).
FANGPIN_UPLOAD_MAX_MB = float(os.environ.get("FANGPIN_UPLOAD_MAX_MB", "20"))
FANGPIN_IMPORT_UPLOAD_MAX_MB = float(os.environ.get("FANGPIN_IMPORT_UPLOAD_MAX_MB", "100"))
FANGPIN_UPLOAD_REQUEST_MAX_MB = float(os.environ.get(
    "FANGPIN_UPLOAD_REQUEST_MAX_MB", max(5 * FANGPIN_UPLOAD_MAX_MB, FANGPIN_IMPORT_UPLOAD_MAX_MB) + 1))
FILE_UPLOAD_HANDLERS = [
    "fangpin.core.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FANGPIN_XLSX_MAX_EXPANDED_MB = float(os.environ.get("FANGPIN_XLSX_MAX_EXPANDED_MB", "2048"))
FANGPIN_XLSX_MAX_RATIO = float(os.environ.get("FANGPIN_XLSX_MAX_RATIO", "100"))
FANGPIN_XLSX_MAX_ROWS = int(os.environ.get("FANGPIN_XLSX_MAX_ROWS", "1048576"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "fangpin.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fangpin API",
    "DESCRIPTION": "防贫 — household registry and monitoring API. All routes are restricted to the caller's area.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "HouseholdStatusEnum": "fangpin.registry.choices.HouseholdStatus",
        "CaseStatusEnum": "fangpin.cases.choices.CaseStatus",
        "MonitoringStatusEnum": "fangpin.monitoring.choices.MonitoringStatus",
        "EliminationMethodEnum": "fangpin.monitoring.choices.EliminationMethod",
        "ProjectCategoryEnum": "fangpin.assistance.models.ProjectCategory",
        "ErrorCodeEnum": "fangpin.core.errors.error_code_choices",
        "CategoryEnum": "fangpin.monitoring.choices.MonitoredCategory",
    },
}

# Background jobs (screening, ledger merges, large exports, monthly lists): queued in the database
# and run by the worker that `fangpin serve` starts beside the web server (or `fangpin worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Where finished export jobs keep their files until they are downloaded or cleaned up.
JOB_FILES_DIR = DATA_DIR / "jobs"
# Days a finished job's file (an export, an error sheet) is kept before the worker prunes it.
JOB_FILES_DAYS = int(os.environ.get("FANGPIN_JOB_FILES_DAYS", "30"))
# How often a worker says its running jobs are alive, and after how long without it a running job
# counts as interrupted (its worker was killed or its machine stopped).
JOB_HEARTBEAT_SECONDS = 60
JOB_STALE_MINUTES = 10

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FANGPIN_LOG_LEVEL", "WARNING")},
}
