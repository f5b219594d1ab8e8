from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info


def page_in_languages(request) -> dict[str, str]:
    """This page's path in every language. Translating a path resolves it, so it is done once per request."""
    if not hasattr(request, "_page_in_languages"):
        request._page_in_languages = {code: translate_url(request.path, code) for code, _name in settings.LANGUAGES}
    return request._page_in_languages


def site(request):
    """The language switcher's links, each keeping the guardian on the same page."""
    current = get_language()
    links = [
        {
            "code": code,
            # Each language names itself, so a reader finds their own.
            "name": get_language_info(code)["name_local"],
            "current": code == current,
            "path": path,
            "url": f"/language/{code}/?next={path}",
        }
        for code, path in page_in_languages(request).items()
    ]
    return {"SITE_URL": settings.SITE_URL, "language_links": links}
