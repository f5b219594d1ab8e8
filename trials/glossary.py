"""Links medical terms to the glossary where they appear in a page's text.

The first mention of a term on a page becomes a link to its entry, and the page
lists the meaning of every term it used at the bottom.
"""

import re
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import get_language

from trials.cache import kept_per_version
from trials.models import GlossaryTerm

HANGUL_SYLLABLES = "\uac00-\ud7a3"
HANGUL = re.compile(f"[{HANGUL_SYLLABLES}]")


@dataclass(frozen=True)
class Glossary:
    """The terms of one language and one pattern that finds any of them."""

    pattern: re.Pattern | None
    form_to_slug: dict[str, str]
    url: str
    # Each term as the "words used on this page" box shows it, read once in this language.
    entries: dict[str, dict[str, str]]

    # Forms matched only in these exact capitals: acronyms such as ALL ("all" is a common word).
    capitals: dict[str, str] = field(default_factory=dict)
    # Where the terms are in each text seen so far (the texts of a page repeat on every view).
    found: dict[str, tuple[tuple[int, int, str], ...]] = field(default_factory=dict, compare=False, repr=False)

    FOUND_LIMIT = 20_000  # texts remembered; the oldest are forgotten beyond this

    def terms_in(self, escaped_text: str) -> tuple[tuple[int, int, str], ...]:
        """(start, end, slug) of every mention of a term in the text, in order."""
        spans = self.found.get(escaped_text)
        if spans is None:
            spans = []
            for match in self.pattern.finditer(escaped_text) if self.pattern else ():
                form = match.group(1)
                slug = self.form_to_slug.get(form.lower())
                if slug is not None and self.capitals.get(form.lower(), form) == form:
                    spans.append((match.start(1), match.end(1), slug))
            spans = tuple(spans)
            if len(self.found) >= self.FOUND_LIMIT:
                self.found.pop(next(iter(self.found)))
            self.found[escaped_text] = spans
        return spans

    @classmethod
    def load(cls) -> "Glossary":
        terms = {term.slug: term for term in GlossaryTerm.objects.all()}
        form_to_slug, capitals = {}, {}
        # Keyed as the forms appear in the page: HTML-escaped (the text is escaped before linking).
        forms = [(escape(form), term.slug) for term in terms.values() for form in term.match_forms()]
        for form, slug in forms:
            form_to_slug.setdefault(form.lower(), slug)
            if form.isupper():
                capitals[form.lower()] = form
        # A form in capitals that is also listed in small letters matches in any case.
        for form, _slug in forms:
            if not form.isupper():
                capitals.pop(form.lower(), None)
        forms = {form.lower() for form, _slug in forms}
        pattern = None
        if forms:
            # Latin forms must stand as whole words. Korean words take endings directly, so only
            # their start needs a boundary: 위험군 is a word of its own, but not the end of 저위험군.
            pattern = re.compile(rf"(?<![A-Za-z0-9])({trie_pattern(forms)})(?![A-Za-z0-9])", re.IGNORECASE)
        url = reverse("glossary")
        entries = {
            slug: {"slug": slug, "href": f"{url}#{slug}", "term": term.term, "definition": term.definition}
            for slug, term in terms.items()
        }
        return cls(pattern, form_to_slug, url, entries, capitals)


def trie_pattern(forms: set[str]) -> str:
    """One regular expression for many words, shaped as a tree of their letters.

    A plain alternation (a|b|c...) tries every word at every position of the
    text; the tree tries only the words that begin with the letter found there.
    Longer words come before their prefixes, so the longest form matches.
    """
    tree: dict = {}
    for form in forms:
        node = tree
        for letter in form:
            node = node.setdefault(letter, {})
        node[""] = {}

    def expression(node: dict) -> str:
        branches = [re.escape(letter) + expression(child) for letter, child in sorted(node.items()) if letter]
        if not branches:
            return ""
        if "" in node:
            return f"(?:{'|'.join(branches)})?"
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    starts = []
    for letter, child in sorted(tree.items()):
        branch = re.escape(letter) + expression(child)
        if HANGUL.match(letter):
            # The boundary is checked after the first letter: a branch that starts with a letter is
            # skipped at once where that letter is not, and a check first would run at every position.
            branch = f"{re.escape(letter)}(?<![{HANGUL_SYLLABLES}]{re.escape(letter)}){expression(child)}"
        starts.append(branch)
    return "|".join(starts)


@kept_per_version(size=8)
def glossary_for(language: str) -> Glossary:
    """The glossary of the active language, built once per content version (its forms are that language's)."""
    return Glossary.load()


@dataclass
class PageGlossary:
    """The glossary as one page uses it: it remembers which terms the page has linked."""

    glossary: Glossary
    used: list[dict[str, str]] = field(default_factory=list)  # entries of Glossary.entries
    linked: set[str] = field(default_factory=set)

    @classmethod
    def load(cls) -> "PageGlossary":
        return cls(glossary_for(get_language()))

    def link(self, escaped_text: str) -> str:
        """Links the first mention on the page of each term in already-escaped text."""
        glossary = self.glossary
        parts, done = [], 0
        for start, end, slug in glossary.terms_in(escaped_text):
            if slug in self.linked:
                continue
            self.linked.add(slug)
            self.used.append(glossary.entries[slug])
            parts += [
                escaped_text[done:start],
                f'<a class="term" href="{glossary.url}#{slug}">',
                escaped_text[start:end],
                "</a>",
            ]
            done = end
        if not parts:
            return escaped_text
        parts.append(escaped_text[done:])
        return "".join(parts)


def for_request(request) -> PageGlossary:
    if not hasattr(request, "_page_glossary"):
        request._page_glossary = PageGlossary.load()
    return request._page_glossary
