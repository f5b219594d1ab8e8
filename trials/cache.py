"""A cache for the public pages, which change only when staff edit content.

Any save or delete of content bumps a version number, so every cached page is
stale at once in this process. With a shared cache (Redis, see CACHE_URL) that
holds for every process; with the default local-memory cache, other processes
catch up within PAGE_CACHE_SECONDS.

Pages live in their own cache ("pages"), bounded in size, so a flood of page
URLs can never push out anything else. A page is kept per host, language, path
and only the query parameters its view reads: /faq/?utm=1 and /faq/?utm=2 are
one page, not two.
"""

import functools
import threading
import time
from collections import OrderedDict
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache, caches
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import get_language

PAGE_CACHE_SECONDS = 300
VERSION_KEY = "content-version"


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Started from the clock, not from 1: after the cache is emptied (a restart, a flush) the new
        # version can never meet a page kept under an old one.
        cache.add(VERSION_KEY, time.time_ns() // 1000, None)
        version = cache.get(VERSION_KEY)
    return version


def bump_content_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, time.time_ns() // 1000, None)


def page_key(request, reads: tuple[str, ...]) -> str:
    query = urlencode(sorted((name, value) for name in reads for value in request.GET.getlist(name)))
    return f"{content_version()}:{request.get_host()}:{get_language()}:{request.path}?{query}"


def cached_page(view=None, *, reads: tuple[str, ...] = ()):
    """Caches a GET page for anonymous visitors. `reads` names the query parameters the view uses."""
    if view is None:
        return functools.partial(cached_page, reads=reads)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.COOKIES.get(settings.SESSION_COOKIE_NAME):
            return view(request, *args, **kwargs)
        pages = caches["pages"]
        key = page_key(request, reads)
        response = pages.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies:
                if hasattr(response, "render"):
                    response.render()
                pages.set(key, response, PAGE_CACHE_SECONDS)
        return response

    return wrapper


class kept_per_version:  # noqa: N801 (used as a decorator)
    """Keeps a function's results in this process while content is unchanged.

    For what pages read on every request and staff change rarely: the glossary,
    a trial's page content. Any content save bumps the version (below), so the
    next call loads again. With a cache that is not shared between processes
    (local memory), a bump reaches only the process that made it: as for the
    pages, MAX_AGE then bounds how long another process shows the old content.
    At most `size` results are kept, the least recently used going first.
    """

    MAX_AGE = PAGE_CACHE_SECONDS
    every: list["kept_per_version"] = []

    def __init__(self, size: int):
        self.size = size
        self.kept: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.every.append(self)

    @classmethod
    def forget_all(cls) -> None:
        for kept in cls.every:
            with kept.lock:
                kept.kept.clear()

    def __call__(self, load):
        @functools.wraps(load)
        def kept(*args, **kwargs):
            key = (content_version(), args, tuple(sorted(kwargs.items())))
            now = time.monotonic()
            with self.lock:
                found = self.kept.get(key)
                if found is not None and now - found[0] < self.MAX_AGE:
                    self.kept.move_to_end(key)
                    return found[1]
            value = load(*args, **kwargs)
            with self.lock:
                self.kept[key] = (now, value)
                self.kept.move_to_end(key)
                while len(self.kept) > self.size:
                    self.kept.popitem(last=False)
            return value

        return kept


CONTENT_MODELS = {
    "trial",
    "site",
    "treatmentgroup",
    "treatmentstep",
    "faq",
    "glossaryterm",
    "fieldreview",
    "question",
    "choice",
    "criterion",
    "trialsource",
}


@receiver([post_save, post_delete])
def content_changed(sender, **kwargs):
    if sender._meta.app_label == "trials" and sender._meta.model_name in CONTENT_MODELS:
        bump_content_version()
