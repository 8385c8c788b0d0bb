"""Pollinate settings: every value comes from the environment through ``pollinate.env``.

The defaults make a single-machine instance (SQLite in WAL mode, in-process channel layer,
database-backed task worker, local media). Setting ``DATABASE_URL`` and ``REDIS_URL`` moves the same
code onto PostgreSQL and Redis; no code forks.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from pollinate.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("POLLINATE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("POLLINATE_TESTING", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY and (DEBUG or TESTING or env_bool("POLLINATE_DEV_SECRET", False)):
    # Only for tests and explicit local development.
    SECRET_KEY = "pollinate-insecure-development-key-not-for-production-use-0123456789"  # noqa: S105
# Without a key, management commands that sign nothing (migrate, makemigrations) still run; the
# servers refuse to start (pollinate/wsgi.py, asgi.py) and `check --deploy` reports it.

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Served over plain HTTP on loopback by `make run`; a deployment behind TLS sets HTTPS=true, which
# turns on secure cookies, HSTS and the redirect (what `check --deploy` asks for).
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14, minimum=300)
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "ninja",
    "channels",
    "pollinate.core",
    "pollinate.people",
    "pollinate.activity",
    "pollinate.practices",
    "pollinate.coaching",
    "pollinate.questions",
    "pollinate.reflections",
    "pollinate.notifications",
    "pollinate.chats",
    "pollinate.curation",
    "pollinate.digests",
    "pollinate.analytics",
    "pollinate.audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pollinate.core.middleware.DatabaseUnavailableMiddleware",
    "pollinate.core.middleware.RequestSizeLimitMiddleware",
    "pollinate.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "pollinate.people.backends.MemberAuthenticationMiddleware",
    "pollinate.audit.middleware.AuditRequestMiddleware",
    "pollinate.people.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so a locked-out sign-in is answered after the view ran authenticate().
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pollinate.urls"
WSGI_APPLICATION = "pollinate.wsgi.application"
ASGI_APPLICATION = "pollinate.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pollinate" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pollinate.notifications.context_processors.unread_notifications",
            ],
        },
    }
]
# Django caches parsed templates by default (the cached loader), so nothing to add here.
# Forms render as usual, but select boxes are built in Python (pollinate/core/forms.py).
FORM_RENDERER = "pollinate.core.forms.FormRenderer"

# Database: SQLite by default (WAL mode, set on connect), PostgreSQL through DATABASE_URL.
_default_sqlite = f"sqlite:///{VAR_DIR / 'pollinate.sqlite3'}"
try:
    _db = dj_database_url.parse(
        env_str("DATABASE_URL", _default_sqlite), conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
    )
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # IMMEDIATE makes writers take the lock at BEGIN, so two writers queue on busy_timeout
        # instead of failing with "database is locked" when a read transaction upgrades.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            # Memory-mapped reads up to SQLite's 2 GB ceiling: at 300k questions a list page
            # reads hundreds of scattered rows, and each read past the map is a system call.
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-20000; PRAGMA mmap_size=2147418112;"
        ),
    }
    # The web workers checkpoint the write-ahead log from a thread of their own rather than in
    # whichever request's commit fills it (pollinate/core/checkpoint.py; gunicorn_conf.py sets
    # this). Every other process keeps SQLite's automatic checkpoints.
    SQLITE_WAL_CHECKPOINTER = env_bool("SQLITE_WAL_CHECKPOINTER", False)
    if SQLITE_WAL_CHECKPOINTER:
        _db["OPTIONS"]["init_command"] += " PRAGMA wal_autocheckpoint=0;"
    _db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 600)
    _db["TEST"] = {"NAME": None}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = _db["ENGINE"].startswith("django.db.backends.postgresql")

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    # Redis down is a cache miss, not a server error (pollinate/core/cache.py); short timeouts so
    # an unreachable Redis costs a request a second at most, not the worker's whole timeout.
    CACHES = {
        "default": {
            "BACKEND": "pollinate.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    # The database cache is shared by every worker process, which throttling and rate limits need.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "pollinate_cache",
            # Django's default of 300 entries would evict sessions (cached_db below) and rate
            # limits as soon as a few hundred members are signed in; each eviction turns the
            # next page view into a session read plus a cache write. The count behind culling
            # reads the expiry index, which stays cheap at this size (docs/sizing.md).
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 100_000, minimum=300)},
        }
    }
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Background work (pollinate/core/tasks.py): huey on a SQLite file by default, Redis when REDIS_URL
# is set. TASKS_IMMEDIATE runs tasks in-process on commit (the default under tests).
TASKS_IMMEDIATE = env_bool("TASKS_IMMEDIATE", TESTING)
TASKS_SQLITE_PATH = Path(env_str("TASKS_SQLITE_PATH", str(VAR_DIR / "tasks.sqlite3")))
TASKS_WORKERS = env_int("TASKS_WORKERS", 2, minimum=1)
TASKS_WORKER_TYPE = env_str("TASKS_WORKER_TYPE", "process")  # or "thread"
TASKS_RETRIES = env_int("TASKS_RETRIES", 5, minimum=0)
TASKS_RETRY_DELAY = env_int("TASKS_RETRY_DELAY", 30, minimum=1)  # seconds, doubled per retry
# Digests: a claim left by a run that died is taken over after this lease; unsubscribe links expire.
DIGESTS_CLAIM_LEASE_SECONDS = env_int("DIGESTS_CLAIM_LEASE_SECONDS", 900, minimum=0)
DIGESTS_UNSUBSCRIBE_MAX_AGE_DAYS = env_int("DIGESTS_UNSUBSCRIBE_MAX_AGE_DAYS", 60, minimum=1)
# Digest throughput: SMTP connections used at once by one run, and runs (shards) per period.
DIGESTS_SMTP_CONNECTIONS = env_int("DIGESTS_SMTP_CONNECTIONS", 4, minimum=1)
DIGESTS_SHARDS = env_int("DIGESTS_SHARDS", 2, minimum=1)
# Digests go out at this local hour of each member's time zone; a run that was down catches up
# periods that fell due within the last DIGESTS_CATCH_UP_HOURS.
DIGESTS_SEND_HOUR = env_int("DIGESTS_SEND_HOUR", 7, minimum=0)
if DIGESTS_SEND_HOUR > 23:
    raise ImproperlyConfigured(f"DIGESTS_SEND_HOUR must be 0 to 23, not {DIGESTS_SEND_HOUR}")
DIGESTS_CATCH_UP_HOURS = env_int("DIGESTS_CATCH_UP_HOURS", 24, minimum=1)

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, loading the member with the user in one query (pollinate/people/backends.py).
    "pollinate.people.backends.MemberBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests that are not about hashing use a fast hasher.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "people:sign_in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "people:sign_in"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60 * 24, minimum=300)
INVITATION_TIMEOUT_DAYS = env_int("INVITATION_TIMEOUT_DAYS", 14, minimum=1)

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failures for one account from one
# address, that pair is locked for AXES_COOLOFF_MINUTES, then released. Locking the pair rather than
# the account stops an attacker from locking a victim out from elsewhere.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "people/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# Failures per account per hour across every address (ASVS 2.2.1 allows at most 100).
ACCOUNT_SIGNIN_FAILURES_PER_HOUR = env_int("ACCOUNT_SIGNIN_FAILURES_PER_HOUR", 100, minimum=1)
# The client's address for lockouts, rate limits and the audit log (pollinate/core/ratelimit.py):
# behind BEHIND_PROXY's proxy, the address that proxy appended to X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int(
    "TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_PROXY", False) else 0, minimum=0
)
AXES_CLIENT_IP_CALLABLE = "pollinate.core.ratelimit.client_address"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "pollinate" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 365
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 8 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 1025, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pollinate <pollinate@localhost>")

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Live chats (docs/chats.md): the realtime ASGI process and its channel layer. In-process by
# default (one realtime process); Redis when REDIS_URL is set, so several processes share rooms.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }
REALTIME_PORT = env_int("REALTIME_PORT", 8001, minimum=1)
# Empty: pages connect to ws(s)://<page host>:REALTIME_PORT; set it when a proxy serves /ws/.
REALTIME_URL = env_str("REALTIME_URL", "").rstrip("/")
CHAT_MESSAGE_MAX_LENGTH = env_int("CHAT_MESSAGE_MAX_LENGTH", 1000, minimum=10)
CHAT_RATE_LIMIT = env_int("CHAT_RATE_LIMIT", 10, minimum=1)  # messages per CHAT_RATE_WINDOW
CHAT_RATE_WINDOW = env_int("CHAT_RATE_WINDOW", 10, minimum=1)  # seconds

# Product rules, overridable per organisation.
PRIVACY_MIN_GROUP = env_int("PRIVACY_MIN_GROUP", 5, minimum=1)
# Analytics (docs/analytics.md): named recognition is opt-in; xAPI statements go to an LRS.
ANALYTICS_NAMED_RECOGNITION = env_bool("ANALYTICS_NAMED_RECOGNITION", False)
ANALYTICS_CACHE_SECONDS = env_int("ANALYTICS_CACHE_SECONDS", 300, minimum=0)
# Seconds a write waits before its activity is folded into the rollups (0: right after commit).
ANALYTICS_FOLD_DELAY = env_int("ANALYTICS_FOLD_DELAY", 0 if TESTING else 5, minimum=0)
XAPI_ENDPOINT = env_str("XAPI_ENDPOINT", "").rstrip("/")
XAPI_USERNAME = env_str("XAPI_USERNAME", "")
XAPI_PASSWORD = env_str("XAPI_PASSWORD", "")
XAPI_BATCH_SIZE = env_int("XAPI_BATCH_SIZE", 100, minimum=1)
XAPI_TIMEOUT = env_int("XAPI_TIMEOUT", 10, minimum=1)
# Questions: escalate to site leads and coaches when unanswered this long; cap offers per person.
QUESTIONS_ESCALATE_AFTER_HOURS = env_int("QUESTIONS_ESCALATE_AFTER_HOURS", 48, minimum=1)
QUESTIONS_MAX_OFFERS_PER_WEEK = env_int("QUESTIONS_MAX_OFFERS_PER_WEEK", 10, minimum=1)
# A practice becomes "verified" once this many other sites adopted it with a positive outcome.
PRACTICE_VERIFIED_MIN_SITES = env_int("PRACTICE_VERIFIED_MIN_SITES", 2, minimum=1)
# Full-text search ranks at most this many newest matches, so very common terms stay fast.
SEARCH_CANDIDATE_CAP = env_int("SEARCH_CANDIDATE_CAP", 400, minimum=10)
CSRF_FAILURE_VIEW = "pollinate.core.errors.csrf_failure"
WHITENOISE_USE_FINDERS = DEBUG or TESTING  # tests and development serve static files unbuilt
