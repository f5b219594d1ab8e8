"""Tags for the notes and the doctor's page: the "add a note" hook of a section, and QR codes."""

import segno
from django import template
from django.urls import reverse
from django.utils.html import format_html, json_script
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from trials.notes import SECTIONS, TRIAL_SECTIONS

register = template.Library()


@register.simple_tag(takes_context=True)
def note_hook(context, section: str):
    """ "Add a note" at the end of a trial page's section: a link to the notes page that
    works without JavaScript; notes.js turns it into a note written in place."""
    if section not in TRIAL_SECTIONS:
        raise template.TemplateSyntaxError(f"note_hook: unknown section {section!r}")
    trial = context["trial"]
    url = f"{reverse('notes')}?{urlencode({'trial': trial.nct_id, 'section': section})}"
    return format_html(
        '<p class="note-hook no-print" data-note-section="{}" data-note-trial="{}">'
        '<a class="note-add" href="{}" aria-describedby="{}-heading">{}</a></p>',
        section,
        trial.nct_id,
        url,
        section,
        _("Add a note"),
    )


@register.simple_tag
def qr_code(url: str, label: str = ""):
    """A QR code for the URL, as an SVG image that needs no request (CSP allows data: images)."""
    code = segno.make(url, error="m", micro=False)
    return format_html(
        '<img class="qr-code" src="{}" width="{}" height="{}" alt="{}">',
        code.svg_data_uri(scale=3, border=2, dark="#000", light="#fff"),
        code.symbol_size(scale=3, border=2)[0],
        code.symbol_size(scale=3, border=2)[1],
        label or _("QR code of %(url)s") % {"url": url},
    )


@register.simple_tag
def note_sections_json():
    """The sections' titles in the page's language, for notes drawn by notes.js."""
    return json_script({key: str(title) for key, title in SECTIONS.items()}, "note-sections")
