"""Which questions are asked, given the answers so far, and reading raw answers into values."""

import datetime
import re
from collections.abc import Mapping, Sequence

from django.utils.translation import gettext_lazy as _

from trials.eligibility.rules import BIRTH_DATE, Kind, QuestionSpec, TrialRules

EARLIEST_DATE = datetime.date(1900, 1, 1)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_visible(question: QuestionSpec, answers: Mapping[str, object], by_key: Mapping[str, QuestionSpec]) -> bool:
    """Asked when it has no condition, or its parent is asked and the parent's
    answer is one of the listed values. A parent not answered (yet) counts as
    "we do not know", so the question is asked."""
    seen = set()
    while question.show_if:
        if question.key in seen:  # a loop made by staff: ask rather than hide
            return True
        seen.add(question.key)
        parent = by_key.get(question.show_if)
        if parent is None:
            return True
        answer = answers.get(parent.key)
        if answer not in (None, "") and answer not in question.show_if_values:
            return False
        question = parent
    return True


def visible_questions(questions: Sequence[QuestionSpec], answers: Mapping[str, object]) -> list[QuestionSpec]:
    by_key = {q.key: q for q in questions}
    return [q for q in questions if is_visible(q, answers, by_key)]


def visible_answers(questions: Sequence[QuestionSpec], answers: Mapping[str, object]) -> dict[str, object]:
    """Drops answers to questions that no longer apply (the guardian changed an earlier answer)."""
    keys = {q.key for q in visible_questions(questions, answers)}
    return {key: value for key, value in answers.items() if key in keys}


def questions_for(questions: Sequence[QuestionSpec], trials: Sequence[TrialRules]) -> list[QuestionSpec]:
    """The questions these trials read, plus the questions they depend on to be shown."""
    by_key = {q.key: q for q in questions}
    needed = set()
    for trial in trials:
        for key in trial.question_keys():
            while key in by_key and key not in needed:
                needed.add(key)
                key = by_key[key].show_if
    return [q for q in questions if q.key in needed]


MESSAGES = {
    "unknown_key": _("There is no question with this key."),
    "bad_value": _("Choose one of the answers given."),
    "bad_date": _("Enter a real date as year-month-day, for example 2025-03-01."),
    "too_early": _("Check the year: this date is too long ago."),
    "birth_future": _("The date of birth cannot be in the future."),
    "date_future": _("This date cannot be in the future."),
    "before_birth": _("This date is before the date of birth. Check both dates."),
    "birth_after": _("The date of birth is after another date you gave. Check both dates."),
}


def date_parse(value: object) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str) or not ISO_DATE.match(value.strip()):
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None


def answers_parse(
    questions: Sequence[QuestionSpec], raw: Mapping[str, object], *, today: datetime.date
) -> tuple[dict[str, object], dict[str, list[str]]]:
    """Checks and normalises raw answers (strings) into dates and values.

    Returns (answers, errors). Empty values are left out: a question left out is
    unknown. Keys that are not questions are ignored here; the API's form refuses them.
    """
    by_key = {q.key: q for q in questions}
    answers: dict[str, object] = {}
    errors: dict[str, list[str]] = {}

    def error(key: str, code: str) -> None:
        errors.setdefault(key, []).append(MESSAGES[code])

    for key, value in raw.items():
        question = by_key.get(key)
        if question is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        if question.kind == Kind.DATE:
            parsed = date_parse(value)
            if parsed is None:
                error(key, "bad_date")
            elif parsed < EARLIEST_DATE:
                error(key, "too_early")
            elif parsed > today:
                error(key, "birth_future" if key == BIRTH_DATE else "date_future")
            else:
                answers[key] = parsed
        else:
            text = value.strip() if isinstance(value, str) else value
            if text not in question.allowed_values():
                error(key, "bad_value")
            else:
                answers[key] = text

    birth = answers.get(BIRTH_DATE)
    if isinstance(birth, datetime.date):
        for question in questions:
            other = answers.get(question.key)
            is_other_date = question.key != BIRTH_DATE and isinstance(other, datetime.date)
            if is_other_date and other < birth:
                error(question.key, "before_birth")
                del answers[question.key]
    return answers, errors
