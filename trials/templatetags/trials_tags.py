import datetime

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import formats
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from trials import glossary
from trials.middleware import ORIGINAL_PARAMETER

register = template.Library()


def paragraphs(text: str, link) -> str:
    """Plain text to HTML: blank lines separate paragraphs, lines starting "- " make a list."""
    blocks = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{link(escape(line[2:]))}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{link(escape(' '.join(lines)))}</p>")
    return "".join(blocks)


@register.simple_tag(takes_context=True)
def prose(context, obj, field_name, inline=False, terms=None):
    """Renders a translated text field with glossary links and, where the
    translation is not yet reviewed or missing, a note that links to the English text.

    Paragraphs link glossary terms; inline text (titles, labels, link text) does
    not unless asked with terms=True, since a link must not sit inside a link or a heading.
    """
    request = context["request"]
    language = get_language() or settings.LANGUAGE_CODE
    page_glossary = glossary.for_request(request)
    own_text = obj.field_text(field_name, language)
    text = own_text or obj.field_text(field_name, settings.LANGUAGE_CODE)
    link_terms = (not inline) if terms is None else terms
    if inline:
        html = page_glossary.link(escape(text.strip())) if link_terms else escape(text.strip())
    else:
        html = paragraphs(text, page_glossary.link)
    # Every piece of text in html was escaped above; only our own tags are added.
    html = mark_safe(html)  # noqa: S308
    if language == settings.LANGUAGE_CODE or not text:
        return html
    if inline:
        # A note (with its link) cannot sit inside a heading, link or list item:
        # inline text raises one note for the whole page instead.
        if not own_text or not obj.is_reviewed(field_name, language):
            request._unreviewed_inline_text = True
        return format_html('<span lang="en">{}</span>', html) if not own_text else html
    english_url = english_original_url(request)
    if not own_text:
        note = _("This text is not yet translated. It is shown in English.")
        wrapped = format_html('<div lang="en">{}</div>', html)
        return format_html('{}<span class="review-note">{}</span>', wrapped, note)
    if obj.is_reviewed(field_name, language):
        return html
    # The English text opens in a new tab, so a form being filled in here is not lost.
    note = format_html(
        '<span class="review-note">{} <a href="{}" hreflang="en" target="_blank" rel="noopener">{}'
        '<span class="visually-hidden"> {}</span></a></span>',
        _("The study team has not yet checked this translation."),
        english_url,
        _("Read the English text"),
        _("(opens in a new tab)"),
    )
    return format_html("{}{}", html, note)


def english_original_url(request) -> str:
    """This page in English, even for a reader whose saved language is another one."""
    return f"{translate_url(request.path, settings.LANGUAGE_CODE)}?{ORIGINAL_PARAMETER}={settings.LANGUAGE_CODE}"


@register.simple_tag(takes_context=True)
def unreviewed_note(context):
    """One note for the short texts on this page whose translation is not yet checked."""
    request = context["request"]
    if not getattr(request, "_unreviewed_inline_text", False):
        return ""
    return format_html(
        '<p class="review-note page-review-note">{} <a href="{}" hreflang="en" target="_blank" rel="noopener">{}'
        '<span class="visually-hidden"> {}</span></a></p>',
        _("Some short texts on this page are translations that the study team has not yet checked."),
        english_original_url(request),
        _("Read the English page"),
        _("(opens in a new tab)"),
    )


@register.simple_tag(takes_context=True)
def page_terms(context):
    """The glossary terms used so far on this page, for the "words on this page" box."""
    return list(glossary.for_request(context["request"]).used)


@register.filter
def registry_date(value: str) -> str:
    """A registry date ("2022-08" or "2027-03-01") in the reader's own date format."""
    if not value:
        return ""
    parts = [int(part) for part in value.split("-")]
    if len(parts) == 3:
        return formats.date_format(datetime.date(*parts), "DATE_FORMAT")
    if len(parts) == 2:
        return formats.date_format(datetime.date(parts[0], parts[1], 1), "YEAR_MONTH_FORMAT")
    return value


@register.simple_tag(takes_context=True)
def language_alternates(context):
    """<link rel="alternate" hreflang> for every language, and x-default for English."""
    path = context["request"].path
    links = []
    for code, _name in settings.LANGUAGES:
        url = settings.SITE_URL + translate_url(path, code)
        links.append(format_html('<link rel="alternate" hreflang="{}" href="{}">', code, url))
    default_url = settings.SITE_URL + translate_url(path, settings.LANGUAGE_CODE)
    links.append(format_html('<link rel="alternate" hreflang="x-default" href="{}">', default_url))
    return format_html_join("\n  ", "{}", ((link,) for link in links))


@register.simple_tag
def json_ld(data):
    from trials.structured_data import script

    return script(data)
