"""A guardian's private notes: their shape, their limits and the sections they belong to.

A note is plain data: the trial, the section of the page, the words it is about
(the passage, which may be empty) and the guardian's own text. Notes live in the
guardian's browser (localStorage), or without JavaScript in a hidden form field.
The server sees them only when the guardian shares or prints them, and stores
them only sealed (trials/sealing.py). The same JSON list is used everywhere:
the hidden field, the browser's store and the sealed plain text.
"""

import json
import re
import unicodedata
from dataclasses import asdict, dataclass

from django.utils.translation import gettext_lazy as _

MAX_NOTES = 30
MAX_TEXT = 1500
MAX_PASSAGE = 500
NCT_ID = re.compile(r"^NCT\d{8}$")

# Where a note can sit: the sections of a trial page, and a trial's pre-screen result.
# The titles are the headings the pages show.
TRIAL_SECTIONS = {
    "summary": _("What this trial is about"),
    "who": _("Who can take part"),
    "involves": _("What taking part involves"),
    "risks": _("Risks and side effects"),
    "sites": _("Where the trial takes place"),
    "faq": _("Questions about this trial"),
    "facts": _("Facts from the registry record"),
    "unknown": _("What we do not know"),
}
RESULT_SECTION = "result"
SECTIONS = {**TRIAL_SECTIONS, RESULT_SECTION: _("What we found")}


class NotesError(ValueError):
    """Notes that cannot be read: wrong shape, too many, too long."""


@dataclass(frozen=True)
class Note:
    trial: str
    section: str
    passage: str
    text: str

    @property
    def section_title(self) -> str:
        return str(SECTIONS[self.section])

    @property
    def from_result(self) -> bool:
        return self.section == RESULT_SECTION


def clean_text(value: str, *, one_line: bool) -> str:
    """Normal form of what a guardian typed: NFC, no control characters, tidy line ends."""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"})
    if one_line:
        return " ".join(text.split())
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def note_make(*, trial: str, section: str, passage: str = "", text: str) -> Note:
    """One note from untrusted input, checked and normalised; NotesError says what is wrong."""
    trial = str(trial).strip().upper()
    if not NCT_ID.match(trial):
        raise NotesError("trial")
    if section not in SECTIONS:
        raise NotesError("section")
    passage = clean_text(passage, one_line=True)
    text = clean_text(text, one_line=False)
    if not text:
        raise NotesError("empty")
    if len(text) > MAX_TEXT or len(passage) > MAX_PASSAGE:
        raise NotesError("too long")
    return Note(trial=trial, section=section, passage=passage, text=text)


def notes_parse(raw: str) -> list[Note]:
    """Notes from their JSON list (a hidden field, the browser's store, opened shared notes)."""
    if not raw or not raw.strip():
        return []
    try:
        items = json.loads(raw)
    except (ValueError, RecursionError):
        raise NotesError("json") from None
    if not isinstance(items, list) or len(items) > MAX_NOTES:
        raise NotesError("list")
    notes = []
    for item in items:
        if not isinstance(item, dict) or not all(isinstance(item.get(k, ""), str) for k in Note.__annotations__):
            raise NotesError("item")
        notes.append(
            note_make(
                trial=item.get("trial", ""),
                section=item.get("section", ""),
                passage=item.get("passage", ""),
                text=item.get("text", ""),
            )
        )
    return notes


def notes_dump(notes: list[Note]) -> str:
    return json.dumps([asdict(note) for note in notes], ensure_ascii=False, separators=(",", ":"))


def notes_by_trial(notes: list[Note]) -> dict[str, list[Note]]:
    grouped: dict[str, list[Note]] = {}
    for note in notes:
        grouped.setdefault(note.trial, []).append(note)
    return grouped
