"""Translated, reviewed text on the pages: glossary links and honest notes about translations.

A translation the study team has not checked, or a text not translated yet, is
never hidden. Instead of a note under every paragraph, the page collects them:
`{% review_note %}` at the end of a section says it once for that section, and
`{% unreviewed_note %}` at the end of the page says it once for whatever no
section claimed (short texts in headings, cards and lists).
"""

from django import template
from django.conf import settings
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from trials import glossary
from trials.context_processors import page_in_languages
from trials.middleware import ORIGINAL_PARAMETER

register = template.Library()


class ReviewState:
    """What the texts rendered since the last note need to say, kept on the request."""

    def __init__(self):
        self.unreviewed = False
        self.untranslated = False

    def __bool__(self):
        return self.unreviewed or self.untranslated

    def take(self) -> tuple[bool, bool]:
        found = (self.unreviewed, self.untranslated)
        self.unreviewed = self.untranslated = False
        return found


def review_state(request) -> ReviewState:
    if not hasattr(request, "_review_state"):
        request._review_state = ReviewState()
    return request._review_state


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


def note_translation(request, obj, field_name: str, language: str) -> bool:
    """Records whether this text needs a note; True when it is shown in English instead."""
    if language == settings.LANGUAGE_CODE:
        return False
    state = review_state(request)
    if not obj.field_text(field_name, language):
        state.untranslated = True
        return True
    if not obj.is_reviewed(field_name, language):
        state.unreviewed = True
    return False


@register.simple_tag(takes_context=True)
def prose(context, obj, field_name, inline=False, terms=None):
    """Renders a translated text field with glossary links.

    Paragraphs link glossary terms; inline text (titles, labels, link text) does
    not unless asked with terms=True, since a link must not sit inside a link or a
    heading. Text shown in English for want of a translation is marked lang="en".
    """
    request = context["request"]
    language = get_language() or settings.LANGUAGE_CODE
    page_glossary = glossary.for_request(request)
    text = obj.field_text(field_name, language) or obj.field_text(field_name, settings.LANGUAGE_CODE)
    if not text:
        return ""
    in_english = note_translation(request, obj, field_name, language)
    link_terms = (not inline) if terms is None else terms
    if inline:
        html = page_glossary.link(escape(text.strip())) if link_terms else escape(text.strip())
    else:
        html = paragraphs(text, page_glossary.link)
    # Every piece of text in html was escaped above; only our own tags are added.
    html = mark_safe(html)  # noqa: S308
    if in_english:
        return format_html('<span lang="en">{}</span>' if inline else '<div lang="en">{}</div>', html)
    return html


def english_original_url(request) -> str:
    """This page in English, even for a reader whose saved language is another one."""
    english = page_in_languages(request)[settings.LANGUAGE_CODE]
    return f"{english}?{ORIGINAL_PARAMETER}={settings.LANGUAGE_CODE}"


def note_html(request, sentence: str, link_text: str, css: str) -> str:
    # The English text opens in a new tab, so a form being filled in here is not lost.
    return format_html(
        '<p class="{}">{} <a href="{}" hreflang="en" target="_blank" rel="noopener">{}'
        '<span class="visually-hidden"> {}</span></a></p>',
        css,
        sentence,
        english_original_url(request),
        link_text,
        _("(opens in a new tab)"),
    )


@register.simple_tag(takes_context=True)
def review_note(context):
    """One note for the section that ends here, if any of its texts needs one."""
    request = context["request"]
    unreviewed, untranslated = review_state(request).take()
    if untranslated:
        sentence = _("Part of this section is not translated yet, so it is shown in English.")
    elif unreviewed:
        sentence = _("The study team has not yet checked the translation of this section.")
    else:
        return ""
    return note_html(request, sentence, _("Read the English text"), "review-note")


@register.simple_tag(takes_context=True)
def unreviewed_note(context):
    """One note for the texts on this page that no section note covered."""
    request = context["request"]
    unreviewed, untranslated = review_state(request).take()
    if not (unreviewed or untranslated):
        return ""
    if untranslated:
        sentence = _("Some texts on this page are not translated yet, so they are shown in English.")
    else:
        sentence = _("Some texts on this page are translations that the study team has not yet checked.")
    return note_html(request, sentence, _("Read the English page"), "review-note page-review-note")


@register.simple_tag(takes_context=True)
def address(context, site):
    """The site's postal address in the order the reader's language writes it, one line each."""
    request = context["request"]
    language = get_language() or settings.LANGUAGE_CODE
    lines = []
    for names, joiner, zip_format in site.address_layout(language):
        parts = []
        for name in names:
            text = site.field_text(name, language) or site.field_text(name, settings.LANGUAGE_CODE)
            if text:
                in_english = note_translation(request, site, name, language)
                parts.append(format_html('<span lang="en">{}</span>', text) if in_english else escape(text))
        line = mark_safe(joiner.join(parts))  # noqa: S308 (each part is escaped above)
        if zip_format and site.zip:
            line = format_html("{}{}", line, zip_format.format(site.zip))
        if line:
            lines.append(line)
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))


@register.simple_tag(takes_context=True)
def page_terms(context):
    """The glossary terms used so far on this page, for the "words on this page" box."""
    return list(glossary.for_request(context["request"]).used)


@register.simple_tag(takes_context=True)
def language_alternates(context):
    """<link rel="alternate" hreflang> for every language, and x-default for English."""
    paths = page_in_languages(context["request"])
    links = []
    for code, path in paths.items():
        links.append(format_html('<link rel="alternate" hreflang="{}" href="{}">', code, settings.SITE_URL + path))
    default_url = settings.SITE_URL + paths[settings.LANGUAGE_CODE]
    links.append(format_html('<link rel="alternate" hreflang="x-default" href="{}">', default_url))
    return format_html_join("\n  ", "{}", ((link,) for link in links))


@register.simple_tag
def json_ld(data):
    from trials.structured_data import script

    return script(data)
