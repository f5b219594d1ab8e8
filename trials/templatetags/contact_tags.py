"""Facts about who runs the site, for the privacy page and the contact pages."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def operator():
    """Who runs the site and how to reach them, and how long messages are kept."""
    return {
        "name": settings.OPERATOR_NAME,
        "email": settings.OPERATOR_EMAIL,
        "retention_days": settings.MESSAGE_RETENTION_DAYS,
    }


@register.filter
def local_country(site) -> str:
    """The site's country in the page's language: the staff-kept translation
    when there is one, else the country's CLDR name (대한민국, 中国)."""
    from django.utils.translation import get_language

    from trials.localnames import country_code, country_name

    value = site.country
    english = getattr(site, "country_en", None) or value
    language = get_language()
    if language != "en" and value == english and (code := country_code(english)):
        return country_name(code, language)
    return value


@register.simple_tag
def colon() -> str:
    """The colon after a label: full width in Chinese (姓名：李伟), ": " otherwise."""
    from django.utils.translation import get_language

    return "：" if get_language() == "zh-hans" else ": "
