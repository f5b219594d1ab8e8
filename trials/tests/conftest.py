"""Shared fixtures: the shipped trial data, and a real Chromium for browser tests."""

import os

# Playwright's sync API runs an event loop in this thread; Django then refuses
# ORM calls (even creating the test database) unless this is set.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import time_machine  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402

from trials.cache import kept_per_version  # noqa: E402

REGISTRY_DIR = Path(__file__).resolve().parent.parent / "data" / "registry"
# As the Makefile's SHIPPED_RECORDS_COMPILED_ON: the day the shipped records were compiled.
SHIPPED_RECORDS_COMPILED_ON = "2026-11-21"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


def clear_caches() -> None:
    """Empties the caches in memory: cached pages, the content version, and content kept per version.
    (The rate-limit table is kept apart per test by its key prefix, below.)"""
    for alias in ("default", "pages"):
        caches[alias].clear()
    kept_per_version.forget_all()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached pages and rate limits must not leak from one test to the next."""
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Rate limits live in a database table that transactional tests do not
    empty: a new key prefix per test keeps each test's counters its own."""
    import uuid

    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {**settings.CACHES["ratelimit"], "KEY_PREFIX": uuid.uuid4().hex},
    }


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The live server serves files by their plain names; manifest storage would
    # point pages at hashed names it does not serve.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def load_shipped_data():
    files = sorted(str(p) for p in REGISTRY_DIR.glob("*.json"))
    call_command("import_trials", "--publish", f"--compiled-on={SHIPPED_RECORDS_COMPILED_ON}", *files, verbosity=0)
    call_command("load_content", verbosity=0)


@pytest.fixture
def frozen_today():
    """Freezes the clock on the day the pre-screener's tests live on (answers.TODAY)."""
    from trials.tests.answers import TODAY

    with time_machine.travel(datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=datetime.UTC), tick=False):
        yield TODAY


@pytest.fixture
def staff():
    """A superuser, for tests of the admin (sign in with trials.tests.staff.staff_login). Needs a django_db mark."""
    return get_user_model().objects.create_superuser("editor", "editor@example.org", "a-long-password-1")


@pytest.fixture
def trials_data(db):
    """The two trials exactly as `make run` loads them."""
    load_shipped_data()


@pytest.fixture
def live_trials(transactional_db):
    """The shipped data, committed, for tests that use the live server."""
    load_shipped_data()


@pytest.fixture(autouse=True)
def _english_by_default():
    """A request in Korean or Chinese leaves that language active in the thread,
    and modeltranslation would then save test data into the wrong language's fields."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
