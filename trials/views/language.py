from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_from_path


def switch_language(request, code):
    """Shows the same page in another language and remembers the choice.

    The choice is kept in Django's language cookie only: no session, no tracking.
    It is a link rather than a form so that it works on cached pages, which carry
    no CSRF token.
    """
    if code not in dict(settings.LANGUAGES):
        raise Http404("No such language")
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    # translate_url resolves the path in the active language, so resolve it in the
    # language the path itself is in (a link from /ko/faq/ to Chinese, say).
    with translation.override(get_language_from_path(next_url) or settings.LANGUAGE_CODE):
        target = translate_url(next_url, code)
    return remember_language(HttpResponseRedirect(target), code)


def remember_language(response, code: str):
    """Keeps the guardian's choice in Django's language cookie, and nowhere else."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
