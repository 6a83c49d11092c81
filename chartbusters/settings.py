"""Chartbusters settings: one module, driven by environment variables.

Every variable is documented in README.md ("Configuration"). Defaults give the embedded
setup: SQLite and a Celery broker on the local filesystem, so one machine with Python and
pip runs everything. ``DATABASE_URL`` switches to PostgreSQL and ``CELERY_BROKER_URL`` to
Redis or RabbitMQ.
"""

from __future__ import annotations

from pathlib import Path

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from chartbusters.env import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    env_rate,
    env_secret,
    env_str,
    parse_database_url,
)

# Lets annotations such as ModelAdmin[Model] run (they are for mypy only).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

try:
    DEBUG = env_bool("DEBUG", False)
    DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()
    _secret_key = env_secret("SECRET_KEY")
    _database_url = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}")
    DATABASES = {"default": parse_database_url(_database_url).as_django()}
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
    SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
    _secure_cookies = env_bool("SECURE_COOKIES", not DEBUG)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
    _use_proxy_headers = env_bool("USE_PROXY_HEADERS", False)
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
    CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120, minimum=1)
    CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180, minimum=1)
    CELERY_TASK_ALWAYS_EAGER = False  # never: eager mode hides serialisation and commit bugs
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Chartbusters <noreply@localhost>")
    LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
    API_THROTTLE_ANON = env_str("API_THROTTLE_ANON", "60/min")
    API_THROTTLE_USER = env_str("API_THROTTLE_USER", "600/min")
    API_THROTTLE_SUBMIT = env_str("API_THROTTLE_SUBMIT", "30/hour")
    EVALUATION_PROFILES_DIR = env_str("EVALUATION_PROFILES_DIR", "")
    # Host-built judges (issue 21): one folder per version, written once by the training
    # worker and read by every scoring worker (shared storage in a multi-host deployment).
    HOST_PROFILES_DIR = Path(env_str("HOST_PROFILES_DIR", str(DATA_DIR / "profiles")))
    # A judge build (training queue) may run this long before Celery stops it.
    JUDGE_BUILD_TIME_LIMIT = env_int("JUDGE_BUILD_TIME_LIMIT", 4 * 3600, minimum=120)
    # Tiny networks instead of the real ones: for tests and pipeline checks only (a
    # quick judge judges poorly, and its validity report says so).
    JUDGE_BUILD_QUICK = env_bool("JUDGE_BUILD_QUICK", False)
    SUBMISSION_MAX_ATTEMPTS = env_int("SUBMISSION_MAX_ATTEMPTS", 3, minimum=1)
    SUBMISSION_QUEUE_LEASE_SECONDS = env_int("SUBMISSION_QUEUE_LEASE_SECONDS", 900, minimum=1)
    SUBMISSION_REAPER_INTERVAL_SECONDS = env_int(
        "SUBMISSION_REAPER_INTERVAL_SECONDS", 60, minimum=1
    )
    # Studio generation jobs: at most this many waiting or running per participant; a
    # job waits for a worker at most the queue lease and runs at most the run lease,
    # after which the reaper marks it failed (retryable).
    STUDIO_MAX_UNFINISHED_JOBS = env_int("STUDIO_MAX_UNFINISHED_JOBS", 3, minimum=1)
    STUDIO_JOB_QUEUE_LEASE_SECONDS = env_int("STUDIO_JOB_QUEUE_LEASE_SECONDS", 600, minimum=1)
    STUDIO_JOB_RUN_LEASE_SECONDS = env_int(
        "STUDIO_JOB_RUN_LEASE_SECONDS", CELERY_TASK_TIME_LIMIT + 30, minimum=1
    )
    STUDIO_REAPER_INTERVAL_SECONDS = env_int("STUDIO_REAPER_INTERVAL_SECONDS", 30, minimum=1)
    STUDIO_PRELOAD_MODELS = env_bool("STUDIO_PRELOAD_MODELS", True)
    # Poison-message safety: work whose task has killed its worker this many times (a
    # crash in native code, the hard time limit) is ended with a reason, not redelivered.
    TASK_MAX_WORKER_DEATHS = env_int("TASK_MAX_WORKER_DEATHS", 3, minimum=1)
    # JSON from clients (API bodies, the provenance field) is refused above this size or
    # nesting depth before it is parsed: Python's parser recurses once per level, so a
    # deeply nested body would otherwise crash the request (chartbusters.core.parsers).
    API_JSON_MAX_BYTES = env_int("API_JSON_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)
    API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32, minimum=4)
    # Leases that tell waiting from failing (issue 14): audio renders are re-queued at
    # most this many times; workers beat this often per queue they consume; a queue whose
    # oldest message is older than this, with no worker beating for it, fails
    # /healthz/workers.
    AUDIO_MAX_ATTEMPTS = env_int("AUDIO_MAX_ATTEMPTS", 3, minimum=1)
    WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 15, minimum=1)
    HEALTH_QUEUE_MAX_AGE_SECONDS = env_int("HEALTH_QUEUE_MAX_AGE_SECONDS", 600, minimum=1)
    # Board pages, the board API, the challenge page and the people's choice are kept in
    # the cache this long, keyed by the board's version (0: never stored; ETags and 304s
    # still work). Last-Modified names a change only once it is this many seconds old
    # (chartbusters.core.pagecache explains why).
    PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 3600, minimum=0)
    # A signed-in reader's own pages (one per reader and variant) are kept at most this long.
    PAGE_CACHE_PRIVATE_SECONDS = env_int("PAGE_CACHE_PRIVATE_SECONDS", 300, minimum=0)
    PAGE_CACHE_LAST_MODIFIED_SETTLE_SECONDS = env_int(
        "PAGE_CACHE_LAST_MODIFIED_SETTLE_SECONDS", 10, minimum=2
    )
except ConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from None

# The embedded SQLite database, media and filesystem broker live here.
DATA_DIR.mkdir(parents=True, exist_ok=True)

if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT, so a task "
        "can clean up before it is killed."
    )

if _secret_key:
    SECRET_KEY = _secret_key
elif DEBUG:
    SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"  # noqa: S105
else:
    raise ImproperlyConfigured(
        "SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is False. "
        "Set DEBUG=True for local development."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "chartbusters.accounts",
    "chartbusters.core",
    "chartbusters.references",
    "chartbusters.challenges",
    "chartbusters.submissions",
    "chartbusters.leaderboards",
    "chartbusters.judging",
    "chartbusters.studio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "chartbusters.core.middleware.ContentSecurityPolicyMiddleware",
    "chartbusters.core.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "chartbusters.urls"
WSGI_APPLICATION = "chartbusters.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

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
                "chartbusters.core.limits.limits_context",
                "chartbusters.judging.context.judging_nav",
            ],
        },
    },
]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, for the test database too: the Celery worker process in the
    # integration tests must see the rows the test writes.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads above this size go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Any request body past this is refused from its Content-Length, unread (413): four
# times the largest MIDI upload (512 KB) with its form fields.
MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024
# Paths that take larger bodies: hosts upload reference sets as zips of many MIDI files
# (issue 21; only hosts reach it, and Django reads no body before the admin's login check).
LARGE_UPLOAD_PATHS = {"/admin/references/referenceset/": 64 * 1024 * 1024}

# ----- security -----------------------------------------------------------------
SESSION_COOKIE_SECURE = _secure_cookies
CSRF_COOKIE_SECURE = _secure_cookies
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _use_proxy_headers:
    # Only behind a proxy that sets these headers itself; otherwise clients could spoof them.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# Content-Security-Policy, on every response (chartbusters.core.middleware): nothing inline
# and nothing from elsewhere. Scripts and styles are files under static/; pages pass data
# to scripts in json_script blocks (type application/json, never run). data: images are
# for the icons the admin's and Swagger UI's stylesheets embed.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# /healthz must answer plain HTTP from the load balancer and the container healthcheck.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# ----- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "chartbusters.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "chartbusters.core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "chartbusters.core.api_errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": API_THROTTLE_ANON,
        "user": API_THROTTLE_USER,
        "submit": API_THROTTLE_SUBMIT,
    },
    # A client's address for the throttles: the last X-Forwarded-For entry, which the
    # proxy sets, behind one; otherwise REMOTE_ADDR (a client's own header is ignored).
    "NUM_PROXIES": 1 if _use_proxy_headers else 0,
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chartbusters API",
    "DESCRIPTION": (
        "Challenges, submissions, leaderboards and the studio of Chartbusters. "
        "Authenticate with `Authorization: Token <key>`; create keys on your profile page."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "chartbusters.core.openapi.document_errors",
    ],
}

# ----- cache (throttling counters) ------------------------------------------------
_cache_url = env_str("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# ----- identity: email verification and throttles (issue 14) ----------------------
# Fixed-window counters in the cache above (Redis in production: shared by every web
# process). Rates are COUNT/WINDOW, e.g. 10/15m. Log-in failures count per account and
# per client address; sign-ups per address; password resets per address and per email;
# confirmation emails per account. A refused request gets HTTP 429 and a message.
try:
    EMAIL_CONFIRMATION_MAX_AGE_SECONDS = env_int(
        "EMAIL_CONFIRMATION_MAX_AGE_SECONDS", 3 * 86400, minimum=60
    )
    THROTTLE_LOGIN_ACCOUNT = env_rate("THROTTLE_LOGIN_ACCOUNT", "10/15m")
    THROTTLE_LOGIN_ADDRESS = env_rate("THROTTLE_LOGIN_ADDRESS", "30/15m")
    THROTTLE_SIGNUP_ADDRESS = env_rate("THROTTLE_SIGNUP_ADDRESS", "10/h")
    THROTTLE_PASSWORD_RESET = env_rate("THROTTLE_PASSWORD_RESET", "5/h")
    THROTTLE_EMAIL_CONFIRMATION = env_rate("THROTTLE_EMAIL_CONFIRMATION", "5/h")
except ConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# Behind our own proxy (USE_PROXY_HEADERS) every request comes from the proxy; the
# client is then the last address it appended to X-Forwarded-For.
THROTTLE_CLIENT_FROM_FORWARDED_FOR = _use_proxy_headers

# ----- Celery -------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, so a real worker process runs with no
# server. Queues: "generation" for models (and the studio's audio), "evaluation" for scoring,
# "audio" for entries' listening copies (rendering took 0.5 s of an entry's 0.6 s when it
# shared the scoring workers' CPU), "training" for judge builds, "celery" for the rest. Each
# can have its own workers.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    # The reaper and emails stay off "evaluation": a stuck evaluation pool must not stop
    # the reaper that rescues its entries. (Exact names win over the patterns below.)
    "chartbusters.submissions.tasks.reap_stuck_submissions": {"queue": "celery"},
    "chartbusters.submissions.tasks.notify_submission_result": {"queue": "celery"},
    "chartbusters.submissions.tasks.render_submission_audio": {"queue": "audio"},
    "chartbusters.studio.tasks.reap_stuck_jobs": {"queue": "celery"},
    "chartbusters.references.tasks.reap_stuck_builds": {"queue": "celery"},
    "chartbusters.studio.tasks.*": {"queue": "generation"},
    "chartbusters.submissions.tasks.*": {"queue": "evaluation"},
    # Judge builds train networks for minutes to hours: their own workers, never the
    # scoring or generation pools (issue 21).
    "chartbusters.references.tasks.*": {"queue": "training"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process that preloads the generation models (STUDIO_PRELOAD_MODELS) needs more
# than Celery's default 4 s to report for work, or the worker kills it and starts another.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 60.0
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fixup closes the database connections around every task unless this is
# set, and then only every this many tasks: a new PostgreSQL backend per task cost 10 ms of
# CPU per scored entry. CONN_MAX_AGE still recycles them (see core.worker_connections).
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# An entry being evaluated holds a lease this long: past it, the reaper re-queues it.
SUBMISSION_EVALUATION_LEASE_SECONDS = CELERY_TASK_TIME_LIMIT + 60
# An audio render holds a lease this long: past it, the reaper may queue it again.
AUDIO_RENDER_LEASE_SECONDS = CELERY_TASK_TIME_LIMIT + 60
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "reap-stuck-generation-jobs": {
        "task": "chartbusters.studio.tasks.reap_stuck_jobs",
        "schedule": float(STUDIO_REAPER_INTERVAL_SECONDS),
    },
    "reap-stuck-submissions": {
        "task": "chartbusters.submissions.tasks.reap_stuck_submissions",
        "schedule": float(SUBMISSION_REAPER_INTERVAL_SECONDS),
    },
    "reap-stuck-judge-builds": {
        "task": "chartbusters.references.tasks.reap_stuck_builds",
        "schedule": 60.0,
    },
    "refresh-challenge-statuses": {
        "task": "chartbusters.challenges.tasks.refresh_challenge_statuses",
        "schedule": 60.0,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
