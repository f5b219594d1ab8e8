from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info


def site(request):
    """The language switcher's links, each keeping the guardian on the same page."""
    current = get_language()
    path = request.path
    links = []
    for code, _name in settings.LANGUAGES:
        links.append(
            {
                "code": code,
                # Each language names itself, so a reader finds their own.
                "name": get_language_info(code)["name_local"],
                "current": code == current,
                "path": translate_url(path, code),
                "url": f"/language/{code}/?next={translate_url(path, code)}",
            }
        )
    return {"SITE_URL": settings.SITE_URL, "language_links": links}
