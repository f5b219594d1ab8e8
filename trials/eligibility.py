"""The pre-screener's rule engine: plain Python over plain data.

It takes the question bank, each trial's rules, the guardian's answers and
today's date, and says for each trial whether the child may qualify, does not
seem to qualify, or whether more information is needed. It never sees a request
and never writes to the database; the web pages and the JSON API both call it.

Conventions, decided once here:
- "Not sure" (and a question left out) makes a rule unknown, never met.
- An inclusion rule says who can join: it is met when the answer fits. An
  exclusion rule describes who cannot join: it is met when the child is clear
  of it, not met when the answer matches it.
- Ages are counted in whole months or years. When the anniversary day does not
  exist in a month (born on 31 January, or on 29 February in a common year),
  it falls on the 1st of the next month. So a child born on 29 February 2024
  turns 1 on 1 March 2025, and "diagnosed before age 1" includes 28 February
  2025. This errs on the side of letting the study team look, and it is what
  the plain formula "month difference, minus one if the day is not reached yet"
  gives.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

UNSURE = "unsure"
YES_NO_VALUES = ("yes", "no", UNSURE)
BIRTH_DATE = "birth_date"
EARLIEST_DATE = datetime.date(1900, 1, 1)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Kind(StrEnum):
    DATE = "date"
    YES_NO = "yes_no"
    CHOICE = "choice"


class RuleKind(StrEnum):
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class Operator(StrEnum):
    IN = "in"
    NOT_IN = "not_in"
    DIAGNOSED_BEFORE_AGE_MONTHS = "diagnosed_before_age_months"
    AGE_AT_MOST_YEARS = "age_at_most_years"


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    DOES_NOT_QUALIFY = "does_not_qualify"
    NEEDS_MORE_INFORMATION = "needs_more_information"
    MAY_QUALIFY = "may_qualify"


# Why a rule came out as it did; the pages turn these into one plain sentence.
class Reason(StrEnum):
    MISSING = "missing"
    UNSURE = "unsure"
    ANSWER = "answer"
    DIAGNOSED_AT_MONTHS = "diagnosed_at_months"
    AGE_YEARS = "age_years"


# ---------------------------------------------------------------------------
# Ages


def age_in_months(birth: datetime.date, on: datetime.date) -> int:
    """Whole months from birth to `on` (negative before birth).

    A month is complete on the same day number; where that day does not exist
    the anniversary is the 1st of the next month (see the module docstring).
    """
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if on.day < birth.day:
        months -= 1
    return months


def age_in_years(birth: datetime.date, on: datetime.date) -> int:
    return age_in_months(birth, on) // 12


def anniversary(birth: datetime.date, months: int) -> datetime.date:
    """The day a child born on `birth` becomes `months` months old."""
    total = birth.year * 12 + birth.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    try:
        return datetime.date(year, month, birth.day)
    except ValueError:
        # The day does not exist in that month: the 1st of the next month.
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return datetime.date(year, month, 1)


def first_birthday(birth: datetime.date) -> datetime.date:
    return anniversary(birth, 12)


# ---------------------------------------------------------------------------
# Plain data


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    key: str
    kind: str
    choices: tuple[str, ...] = ()
    step: int = 1
    show_if: str | None = None
    show_if_values: tuple[str, ...] = ()

    def allowed_values(self) -> tuple[str, ...]:
        if self.kind == Kind.YES_NO:
            return YES_NO_VALUES
        if self.kind == Kind.CHOICE:
            # "Not sure" is always an answer, even if staff forgot to list it.
            return self.choices if UNSURE in self.choices else (*self.choices, UNSURE)
        return ()


@dataclass(frozen=True, slots=True)
class Rule:
    key: str
    kind: str
    question: str | None
    operator: str = ""
    values: tuple = ()

    @property
    def is_checked(self) -> bool:
        return self.question is not None

    @property
    def reads(self) -> tuple[str, ...]:
        """The answers this rule needs, in the order a guardian gives them."""
        if self.question is None:
            return ()
        if self.operator == Operator.DIAGNOSED_BEFORE_AGE_MONTHS:
            return (BIRTH_DATE, self.question)
        return (self.question,)


@dataclass(slots=True)
class TrialRules:
    nct_id: str
    rules: tuple[Rule, ...]
    # Split once: rules the engine checks, and rules the study team checks.
    checked: tuple[Rule, ...] = field(init=False, repr=False)
    unchecked: tuple[Rule, ...] = field(init=False, repr=False)
    # What each checked rule compares, so that trials sharing a rule share its evaluation.
    signatures: tuple[tuple, ...] = field(init=False, repr=False)

    def __post_init__(self):
        self.checked = tuple(rule for rule in self.rules if rule.question is not None)
        self.unchecked = tuple(rule for rule in self.rules if rule.question is None)
        self.signatures = tuple((r.kind, r.question, r.operator, r.values) for r in self.checked)

    def question_keys(self) -> set[str]:
        return {key for rule in self.rules for key in rule.reads}


class RuleResult(NamedTuple):
    # A named tuple rather than a frozen dataclass: one guardian against 10,000
    # trials makes about 75,000 of these, and tuples are several times cheaper.
    rule: Rule
    status: Status
    reason: Reason
    # The answer or figure behind the reason (a choice value, a number of months...).
    detail: object = None


@dataclass(frozen=True, slots=True)
class TrialResult:
    nct_id: str
    outcome: Outcome
    checked: tuple[Rule, ...]
    # (status, reason, detail) per checked rule, in the same order; shared between trials.
    evaluations: tuple[tuple, ...]
    unchecked: tuple[Rule, ...] = field(default=())

    @property
    def results(self) -> tuple[RuleResult, ...]:
        return tuple(RuleResult(rule, *found) for rule, found in zip(self.checked, self.evaluations, strict=True))

    def unknown_keys(self) -> list[str]:
        keys = []
        for result in self.results:
            if result.status == Status.UNKNOWN:
                keys.extend(k for k in result.rule.reads if k not in keys)
        return keys


# ---------------------------------------------------------------------------
# Evaluation


def rule_evaluate(rule: Rule, answers: Mapping[str, object], *, today: datetime.date) -> RuleResult:
    """One rule over the answers. Answers are already parsed (dates are dates)."""
    return RuleResult(rule, *_status(rule.kind, rule.question, rule.operator, rule.values, answers, today))


def _status(kind, question, operator, values, answers, today) -> tuple[Status, Reason, object]:
    answer = answers.get(question)
    if answer is None or answer == "":
        return _UNKNOWN, _MISSING, None
    if answer == UNSURE:
        return _UNKNOWN, _UNSURE, None

    if operator == _IN:
        fits, reason, detail = answer in values, _ANSWER, answer
    elif operator == _NOT_IN:
        fits, reason, detail = answer not in values, _ANSWER, answer
    elif operator == _DIAGNOSED_BEFORE:
        birth = answers.get(BIRTH_DATE)
        if not isinstance(birth, datetime.date):
            return _UNKNOWN, _MISSING, None
        months = age_in_months(birth, answer)
        fits, reason, detail = months < int(values[0]), Reason.DIAGNOSED_AT_MONTHS, months
    elif operator == _AGE_AT_MOST:
        # The detail is the age in months, so a baby's age can be said in months.
        months = age_in_months(answer, today)
        fits, reason, detail = months // 12 <= int(values[0]), Reason.AGE_YEARS, months
    else:
        raise ValueError(f"unknown operator {operator!r}")

    # An exclusion rule describes who cannot join: matching it rules the child out.
    if kind == _EXCLUSION:
        fits = not fits
    return (_MET if fits else _NOT_MET), reason, detail


# Plain strings for the hot path: comparing to enum members costs an attribute lookup each time.
_IN, _NOT_IN = str(Operator.IN), str(Operator.NOT_IN)
_DIAGNOSED_BEFORE, _AGE_AT_MOST = str(Operator.DIAGNOSED_BEFORE_AGE_MONTHS), str(Operator.AGE_AT_MOST_YEARS)
_EXCLUSION = str(RuleKind.EXCLUSION)
_MET, _NOT_MET, _UNKNOWN = Status.MET, Status.NOT_MET, Status.UNKNOWN
_MISSING, _UNSURE, _ANSWER = Reason.MISSING, Reason.UNSURE, Reason.ANSWER


def outcome_of(statuses: Iterable[Status]) -> Outcome:
    statuses = set(statuses)
    if _NOT_MET in statuses:
        return Outcome.DOES_NOT_QUALIFY
    if _UNKNOWN in statuses:
        return Outcome.NEEDS_MORE_INFORMATION
    return Outcome.MAY_QUALIFY


def trial_evaluate(
    trial: TrialRules, answers: Mapping[str, object], *, today: datetime.date, memo: dict | None = None
) -> TrialResult:
    """Every checked rule of one trial. `memo` shares the work between trials
    that have the same rule (the same question, comparison and values); one
    guardian against 10,000 trials makes few distinct evaluations."""
    memo = {} if memo is None else memo
    evaluations = []
    outcome = _MAY_QUALIFY
    for signature in trial.signatures:
        found = memo.get(signature)
        if found is None:
            found = memo[signature] = _status(*signature, answers, today)
        evaluations.append(found)
        if found[0] is _NOT_MET:
            outcome = _DOES_NOT_QUALIFY
        elif found[0] is _UNKNOWN and outcome is _MAY_QUALIFY:
            outcome = _NEEDS_MORE_INFORMATION
    return TrialResult(trial.nct_id, outcome, trial.checked, tuple(evaluations), trial.unchecked)


_MAY_QUALIFY, _DOES_NOT_QUALIFY = Outcome.MAY_QUALIFY, Outcome.DOES_NOT_QUALIFY
_NEEDS_MORE_INFORMATION = Outcome.NEEDS_MORE_INFORMATION


def trials_evaluate(
    trials: Sequence[TrialRules], answers: Mapping[str, object], *, today: datetime.date
) -> list[TrialResult]:
    memo: dict = {}
    return [trial_evaluate(trial, answers, today=today, memo=memo) for trial in trials]


# ---------------------------------------------------------------------------
# Which questions to ask


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


# ---------------------------------------------------------------------------
# Reading answers


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
    questions: Sequence[QuestionSpec], raw: Mapping[str, object], *, today: datetime.date, strict_keys: bool = False
) -> tuple[dict[str, object], dict[str, list[str]]]:
    """Checks and normalises raw answers (strings) into dates and values.

    Returns (answers, errors). Empty values are left out: a question left out is
    unknown. With strict_keys, a key that is not a question is an error (the API).
    """
    by_key = {q.key: q for q in questions}
    answers: dict[str, object] = {}
    errors: dict[str, list[str]] = {}

    def error(key: str, code: str) -> None:
        errors.setdefault(key, []).append(MESSAGES[code])

    for key, value in raw.items():
        question = by_key.get(key)
        if question is None:
            if strict_keys:
                error(key, "unknown_key")
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
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


# ---------------------------------------------------------------------------
# Checking a rule before it is saved (the admin and the content files)


def rule_problems(
    *, question: QuestionSpec | None, operator: str, values: object, question_key: str | None = None
) -> dict[str, str]:
    """What is wrong with a rule, by field ("question", "operator", "values"); empty when it is sound.

    `question_key` names the question when `question` could not be found.
    """
    if question is None:
        if question_key:
            return {"question": _("There is no question with the key “%(key)s”.") % {"key": question_key}}
        if operator or values:
            return {"question": _("Choose the question this rule reads, or clear the comparison and the values.")}
        return {}
    if not operator:
        return {"operator": _("Choose how the answer is compared.")}
    if operator not in set(Operator):
        return {"operator": _("Unknown comparison “%(operator)s”.") % {"operator": operator}}
    if not isinstance(values, list | tuple) or not values:
        return {"values": _("Give at least one value.")}

    if operator in (Operator.IN, Operator.NOT_IN):
        if question.kind == Kind.DATE:
            return {"question": _("This comparison needs a yes/no question or a question with choices, not a date.")}
        allowed = [v for v in question.allowed_values() if v != UNSURE]
        if UNSURE in values:
            return {"values": _("“unsure” cannot be part of a rule: “Not sure” always leaves the criterion unknown.")}
        wrong = [str(v) for v in values if v not in allowed]
        if wrong:
            return {
                "values": _("“%(wrong)s” is not an answer to “%(key)s”. Its answers are: %(allowed)s.")
                % {"wrong": ", ".join(wrong), "key": question.key, "allowed": ", ".join(allowed)}
            }
        return {}

    # The age comparisons take one whole number.
    if len(values) != 1 or isinstance(values[0], bool) or not isinstance(values[0], int) or values[0] < 0:
        return {"values": _("Give one whole number, for example 12.")}
    if question.kind != Kind.DATE:
        return {"question": _("This comparison needs a date question.")}
    if operator == Operator.DIAGNOSED_BEFORE_AGE_MONTHS and question.key == BIRTH_DATE:
        return {"question": _("Choose the date of diagnosis: the age is counted from the date of birth to it.")}
    if operator == Operator.AGE_AT_MOST_YEARS and question.key != BIRTH_DATE:
        return {"question": _("Choose the date of birth: the age today is counted from it.")}
    return {}
