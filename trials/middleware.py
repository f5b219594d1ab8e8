from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import translate_url
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language_from_path, get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

# A link to the English original adds ?lang=en, so the reader's saved language
# does not send them straight back to the translation they wanted to check.
ORIGINAL_PARAMETER = "lang"

# Paths that are not pages for guardians, and never change language.
UNTRANSLATED_PREFIXES = (
    "/admin/",
    "/api/",
    "/static/",
    "/language/",
    "/healthz",
    "/robots.txt",
    "/sitemap.xml",
    "/favicon.ico",
)


def preferred_language(request) -> str | None:
    """The guardian's language: their saved choice, else their browser's."""
    supported = dict(settings.LANGUAGES)
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in supported:
        return cookie
    for accepted, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if accepted == "*":
            break
        try:
            return get_supported_language_variant(accepted)
        except LookupError:
            continue
    return None


class PreferredLanguageMiddleware:
    """Sends a first visit to an English (unprefixed) page on to the guardian's language.

    English pages have no prefix, so Django alone would always show them in English.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(UNTRANSLATED_PREFIXES):
            return self.get_response(request)
        response = self.redirect_to_preferred_language(request) or self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    def redirect_to_preferred_language(self, request):
        path = request.path_info
        if request.method not in ("GET", "HEAD") or get_language_from_path(path) is not None:
            return None
        if request.GET.get(ORIGINAL_PARAMETER) == settings.LANGUAGE_CODE:
            # "Read the English text": the reader asked for this page in English, once,
            # without changing the language they chose for the site.
            return None
        language = preferred_language(request)
        if not language or language == settings.LANGUAGE_CODE:
            return None
        target = translate_url(path, language)
        if target == path:
            return None
        query = request.META.get("QUERY_STRING")
        return HttpResponseRedirect(target + (f"?{query}" if query else ""))
