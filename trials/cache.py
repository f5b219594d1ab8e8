"""A cache for the public pages, which change only when staff edit content.

Any save or delete of content bumps a version number, so every cached page is
stale at once in this process. With a shared cache (Redis, see CACHE_URL) that
holds for every process; with the default local-memory cache, other processes
catch up within PAGE_CACHE_SECONDS.
"""

import functools

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import get_language

PAGE_CACHE_SECONDS = 300
VERSION_KEY = "content-version"


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = 1
        cache.add(VERSION_KEY, version, None)
    return version


def bump_content_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, None)


def cached_page(view):
    """Caches a GET page for anonymous visitors, per language and full path."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.COOKIES.get("sessionid"):
            return view(request, *args, **kwargs)
        key = f"page:{content_version()}:{get_language()}:{request.get_full_path()}"
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies:
                if hasattr(response, "render"):
                    response.render()
                cache.set(key, response, PAGE_CACHE_SECONDS)
        return response

    return wrapper


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
}


@receiver([post_save, post_delete, m2m_changed])
def content_changed(sender, **kwargs):
    if sender._meta.app_label == "trials" and sender._meta.model_name in CONTENT_MODELS:
        bump_content_version()
