from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import translate_url
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language_from_path, get_language_from_request

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
        if path.startswith("//"):
            # "//host/..." would be read as another site's address: never redirect it anywhere.
            return None
        # The guardian's saved choice (Django's language cookie), else their browser's languages.
        language = get_language_from_request(request)
        if language == settings.LANGUAGE_CODE:
            return None
        target = translate_url(path, language)
        if target == path or not target.startswith("/") or target.startswith("//"):
            return None
        query = request.META.get("QUERY_STRING")
        return HttpResponseRedirect(target + (f"?{query}" if query else ""))


# Pages that carry a child's answers or a guardian's details: never kept by a browser or proxy cache.
PRIVATE_PAGES = {
    "screen",
    "trial_screen",
    "trial_contact",
    "trial_contact_sent",
    "api_prescreen",
    "notes",
    "share_notes",
    "shared_notes",
    "shared_notes_delete",
    "doctor",
    "trial_follow",
    "trial_follow_sent",
    "follow_confirm",
    "follow_stop",
    "follow_stopped",
}
# Device features the site may use. Only the contact page asks for the location, and only on this site.
PERMISSIONS = "camera=(), microphone=(), payment=(), usb=()"


class PrivacyHeadersMiddleware:
    """Permissions-Policy on every response, and no-store where answers or personal data are shown."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        name = match.url_name if match else None
        geolocation = "geolocation=(self)" if name == "trial_contact" else "geolocation=()"
        response.headers.setdefault("Permissions-Policy", f"{geolocation}, {PERMISSIONS}")
        if name in PRIVATE_PAGES or request.path_info.startswith("/admin/"):
            patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        return response
