"""TrialFinder settings.

One module, driven by environment variables. Every variable is documented in
`.env.example`. Defaults are safe for development; production sets DJANGO_DEBUG=0
and real values, and a bad value stops the process at start-up.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django.forms
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "development-only-key-not-for-production-use-" + "x" * 20

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")

# Where the site is served from, for absolute links in emails and the sitemap.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # modeltranslation patches the admin, so it comes before django.contrib.admin.
    "modeltranslation",
    # django.contrib.admin, with a site that asks staff for a code from their authenticator app.
    "trials.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "reversion",
    "reversion_compare",
    "django_ratelimit",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "trials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages are sent gzip-compressed to browsers that accept it (whitenoise compresses the static
    # files ahead of time, gzip and brotli). Below whitenoise, so its files are never compressed
    # twice. Django adds random padding against BREACH, and CSRF tokens are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "trials.middleware.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which authenticator app, if any, verified this session (user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    # After authentication: the admin speaks each staff user's own language.
    "trials.admin_language.AdminLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "trials.middleware.PrivacyHeadersMiddleware",
    # Last, so that its page for a paused sign-in gets every header above.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "trialfinder.urls"

TEMPLATES = [
    # Form widgets (Django's own templates, in their Jinja2 versions) and our field template
    # (templates/jinja2/forms/field.html), found first: a field renders several times faster than
    # in Django templates, and a form is most of the contact page. Only those templates are here;
    # every other one (the pages, crispy's layouts, the admin's) comes from below.
    # (The Django versions stay reachable for the admin's own templates: "django.forms" in INSTALLED_APPS.)
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [Path(django.forms.__file__).parent / "jinja2", BASE_DIR / "templates" / "jinja2"],
        "NAME": "form-widgets",
        "OPTIONS": {"environment": "trials.templating.environment"},
    },
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
                "trials.context_processors.site",
            ],
        },
    },
]
# Forms find their templates through TEMPLATES, above: widgets in Jinja2, the rest in Django templates.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "trialfinder.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes share the embedded database (web workers, task workers): a transaction takes
    # the write lock when it begins and waits up to 20 s for it, instead of failing with "database is
    # locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Three caches. "default" holds small shared state (the content version); "pages" holds cached
# pages, bounded; both are local memory per process unless CACHE_URL names a Redis server.
# "ratelimit" holds the contact form's limits, always in the database (below).
CACHE_URL = os.environ.get("CACHE_URL", "")
# Cached pages have a cache of their own, bounded, so a flood of page URLs never evicts other state.
PAGE_CACHE_MAX_ENTRIES = env_int("PAGE_CACHE_MAX_ENTRIES", 2000)
if CACHE_URL.startswith("redis://") or CACHE_URL.startswith("rediss://"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL},
        # Redis bounds memory server-side (maxmemory with an LRU policy, see the README); pages use their
        # own prefix, and state that must not be evicted lives in the database.
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "page",
        },
    }
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be a redis:// URL or empty")
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pages",
            "OPTIONS": {"MAX_ENTRIES": PAGE_CACHE_MAX_ENTRIES},
        },
    }
# The contact form's rate limits: always a table in the database that every process shares (made by
# `manage.py createcachetable`), whatever CACHE_URL says, so no flood of pages in any cache can evict them.
CACHES["ratelimit"] = {
    "BACKEND": "trials.ratelimit.AtomicDatabaseCache",
    "LOCATION": "trialfinder_rate_limits",
    # Only rate-limit counters live here; never cull them to make room.
    "OPTIONS": {"MAX_ENTRIES": 1_000_000},
}
RATELIMIT_USE_CACHE = "ratelimit"
# django-ratelimit warns about any cache it has not tested. Ours increments atomically, under a row lock.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# Staff sign in to the admin in two steps: a password, then a code from an authenticator app
# (django-otp, TOTP; trials/admin_site.py). django-axes pauses sign-in after repeated wrong
# passwords from one client address for one user name; `manage.py axes_reset` lifts every pause.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# User name and client address together: a stranger cannot lock a coordinator out from elsewhere,
# and a colleague behind the same hospital network is not paused by someone else's typing.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client address by the contact form's rule (CLIENT_IP_HEADER), so a made-up header changes nothing.
AXES_CLIENT_IP_CALLABLE = "trials.admin_site.login_client_address"
AXES_LOCKOUT_CALLABLE = "trials.admin_site.locked_out"
# Tries made while paused are refused without being stored, and do not stretch the pause.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# Attempts and sign-ins are kept in the database (the admin's Axes section, for superusers), not in logs.
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False  # trials/admin/signin.py registers its records instead
OTP_TOTP_ISSUER = "TrialFinder"
# The admin's list of authenticator apps never shows their secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages. English has no URL prefix; Korean is /ko/, Simplified Chinese /zh-hans/.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ko", _("Korean")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "trials" / "locale"]
FORMAT_MODULE_PATH = ["trialfinder.formats"]
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Background tasks: messages to study teams are queued in the database and sent
# by `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Email. With EMAIL_HOST set, mail goes through that SMTP server. Without it,
# development prints mail to the console so a newcomer can read it.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", bool(EMAIL_HOST))
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "TrialFinder <noreply@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    raise ImproperlyConfigured("EMAIL_HOST must be set when DJANGO_DEBUG=0")

# Who runs the site: named on the privacy page, and the address a guardian
# writes to when a study team does not reply.
OPERATOR_NAME = os.environ.get("OPERATOR_NAME", "TrialFinder")
OPERATOR_EMAIL = os.environ.get("OPERATOR_EMAIL", "help@example.org")

# Contact messages: how long personal data is kept, counted from the day a
# message is closed, or from the day it arrived for a message never closed.
MESSAGE_RETENTION_DAYS = env_int("MESSAGE_RETENTION_DAYS", 365)
# Delivery of contact messages: attempts before a message is marked failed, and
# the first wait (doubling each time, at most an hour).
CONTACT_DELIVERY_ATTEMPTS = env_int("CONTACT_DELIVERY_ATTEMPTS", 12)
CONTACT_DELIVERY_FIRST_RETRY_SECONDS = env_int("CONTACT_DELIVERY_FIRST_RETRY_SECONDS", 60)
# A worker holds a message for this long while it sends; if it dies, the
# message is picked up again once this has passed (`recover_deliveries`).
CONTACT_DELIVERY_LEASE_SECONDS = env_int("CONTACT_DELIVERY_LEASE_SECONDS", 120)
# Alerts to people who follow a trial: changes accepted within this many minutes of the first one go
# out in one email; after an email, the next waits at least a day. Sign-ups, confirmation emails and
# alerts retry, lease and give up like contact deliveries (the CONTACT_DELIVERY_* settings above).
ALERT_GATHER_MINUTES = env_int("ALERT_GATHER_MINUTES", 30)
# Contact form rate limits, per client address and per email address (sign-ups to alerts count too).
CONTACT_RATE_LIMIT = env_int("CONTACT_RATE_LIMIT", 5)
CONTACT_RATE_WINDOW_SECONDS = env_int("CONTACT_RATE_WINDOW_SECONDS", 3600)
# Where the client address comes from: REMOTE_ADDR when the site is reached
# directly, or the header a proxy sets (for example HTTP_X_FORWARDED_FOR).
# Empty means REMOTE_ADDR in development; in production (behind a proxy) it
# means the per-address limit is off, and `check --deploy` warns.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")

# Security. Production runs behind a TLS-terminating proxy.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The CSRF cookie lives only until the browser closes (the privacy page says so).
CSRF_COOKIE_AGE = None
CSRF_FAILURE_VIEW = "trials.views.pages.csrf_failure"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy: our own files only, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Logs never carry personal data: requests are logged by the proxy, and the
# app logs only identifiers and counts.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's request logger prints the path of failed requests; the contact
        # and screening forms use POST bodies, never query strings, for personal data.
        "django.server": {"level": "WARNING"},
        # The PDF renderer and its font subsetter report every step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes would log staff user names and addresses; its records are in the database instead.
        "axes": {"level": "ERROR"},
    },
}
