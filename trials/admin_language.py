"""The admin in each staff user's own language, and in their site's time zone.

Django's LocaleMiddleware shows every unprefixed URL (the admin included) in
English. For a signed-in staff user this middleware switches the admin to their
saved language (StaffLanguage, chosen in the admin's header), else to the
language of the sites they coordinate, else to their browser's. Times in the
admin follow the time zone of the sites they coordinate.
"""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseRedirect
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

ADMIN_PREFIX = "/admin/"


def admin_language(user, request) -> str:
    from trials.models import StaffLanguage

    saved = StaffLanguage.objects.filter(user=user).values_list("language", flat=True).first()
    if saved:
        return saved
    site_languages = set(user.study_sites.values_list("local_language", flat=True))
    if len(site_languages) == 1:
        return site_languages.pop()
    return translation.get_language_from_request(request, check_path=False)


class AdminLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if not request.path_info.startswith(ADMIN_PREFIX) or not (user and user.is_authenticated and user.is_staff):
            return self.get_response(request)
        from trials.services import site_time_zone

        language = admin_language(user, request)
        sites = list(user.study_sites.all()[:20])
        zones = {site_time_zone(site) for site in sites}
        with translation.override(language):
            request.LANGUAGE_CODE = language
            if len(zones) == 1:
                with timezone.override(zones.pop()):
                    response = self.get_response(request)
            else:
                response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


@require_POST
@staff_member_required
def choose_admin_language(request):
    """Saves the staff user's admin language (a form in the admin header)."""
    from trials.models import StaffLanguage

    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        StaffLanguage.objects.update_or_create(user=request.user, defaults={"language": language})
    next_url = request.POST.get("next", ADMIN_PREFIX)
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ADMIN_PREFIX
    return HttpResponseRedirect(next_url)
