"""Links medical terms to the glossary where they appear in a page's text.

The first mention of a term on a page becomes a link to its entry, and the page
lists the meaning of every term it used at the bottom.
"""

import re
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.html import escape

from trials.models import GlossaryTerm

HANGUL_SYLLABLES = "\uac00-\ud7a3"
HANGUL = re.compile(f"[{HANGUL_SYLLABLES}]")


@dataclass
class PageGlossary:
    terms: dict[str, GlossaryTerm]
    pattern: re.Pattern | None
    form_to_slug: dict[str, str]
    used: list[GlossaryTerm] = field(default_factory=list)

    @classmethod
    def load(cls) -> "PageGlossary":
        terms = {term.slug: term for term in GlossaryTerm.objects.all()}
        form_to_slug = {}
        for term in terms.values():
            for form in term.match_forms():
                form_to_slug.setdefault(form.casefold(), term.slug)
        forms = sorted({form for term in terms.values() for form in term.match_forms()}, key=len, reverse=True)
        if not forms:
            return cls(terms, None, form_to_slug)
        # Acronyms such as ALL match only in capitals ("all" is a common word);
        # other forms match in any case. Latin forms must stand as whole words.
        # Korean words take endings directly, so only their start needs a boundary:
        # 위험군 is a word of its own, but not the end of 저위험군.
        alternatives = []
        for form in forms:
            text = re.escape(escape(form))
            text = text if form.isupper() else f"(?i:{text})"
            if HANGUL.match(form):
                text = f"(?<![{HANGUL_SYLLABLES}]){text}"
            alternatives.append(text)
        pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(alternatives) + r")(?![A-Za-z0-9])")
        return cls(terms, pattern, form_to_slug)

    def link(self, escaped_text: str) -> str:
        """Links the first mention on the page of each term in already-escaped text."""
        if self.pattern is None:
            return escaped_text
        url = reverse("glossary")

        def replace(match: re.Match) -> str:
            slug = self.form_to_slug.get(match.group(1).casefold())
            term = self.terms.get(slug)
            if term is None or term in self.used:
                return match.group(1)
            self.used.append(term)
            return f'<a class="term" href="{url}#{slug}">{match.group(1)}</a>'

        return self.pattern.sub(replace, escaped_text)


def for_request(request) -> PageGlossary:
    if not hasattr(request, "_page_glossary"):
        request._page_glossary = PageGlossary.load()
    return request._page_glossary
