"""The pre-screener's rule engine: plain Python over plain data.

It takes the question bank, each trial's rules, the guardian's answers and
today's date, and says for each trial whether the child may qualify, does not
seem to qualify, or whether more information is needed. It never sees a request
and never writes to the database; the web pages and the JSON API both call it
through `trials/screening.py`.

Conventions, decided once here:
- "Not sure" (and a question left out) makes a rule unknown, never met.
- An inclusion rule says who can join: it is met when the answer fits. An
  exclusion rule describes who cannot join: it is met when the child is clear
  of it, not met when the answer matches it.
- A trial may qualify only when every rule is met *and* staff have marked its
  published criteria complete. Until then the best it can say is "more
  information needed": rules we do not know can still rule a child out.
- Ages are counted in whole units, in the unit the rule uses: a child of 2 years
  and 11 months is 2 years old, and 35 months old. When the anniversary day does
  not exist in a month (born on 31 January, or on 29 February in a common
  year), it falls on the 1st of the next month, which is what "month
  difference, minus one if the day is not reached yet" gives.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

UNSURE = "unsure"
YES = "yes"
NO = "no"
YES_NO_VALUES = (YES, NO, UNSURE)
BIRTH_DATE = "birth_date"
SEX = "sex"
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
    # Rules staff write (Criterion.operator).
    IN = "in"
    NOT_IN = "not_in"
    DIAGNOSED_BEFORE_AGE_MONTHS = "diagnosed_before_age_months"
    AGE_AT_MOST_YEARS = "age_at_most_years"
    # One known way into a trial that has others we do not know: met when every
    # question it reads is answered yes; a "no" leaves it unknown, never not met.
    ALL_YES = "all_yes"
    # Rules made from a trial's registry record: values are (number, unit).
    AGE_AT_LEAST = "age_at_least"
    AGE_AT_MOST = "age_at_most"


STAFF_OPERATORS = frozenset(
    {Operator.IN, Operator.NOT_IN, Operator.DIAGNOSED_BEFORE_AGE_MONTHS, Operator.AGE_AT_MOST_YEARS, Operator.ALL_YES}
)


class Source(StrEnum):
    STAFF = "staff"
    REGISTRY = "registry"


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    DOES_NOT_QUALIFY = "does_not_qualify"
    NEEDS_MORE_INFORMATION = "needs_more_information"
    MAY_QUALIFY = "may_qualify"


# Best first: the order results are shown in, and the order "never better" is checked in.
OUTCOME_ORDER = (Outcome.MAY_QUALIFY, Outcome.NEEDS_MORE_INFORMATION, Outcome.DOES_NOT_QUALIFY)


# Why a rule came out as it did; the pages turn these into one plain sentence.
class Reason(StrEnum):
    MISSING = "missing"
    UNSURE = "unsure"
    ANSWER = "answer"
    DIAGNOSED_AT_MONTHS = "diagnosed_at_months"
    # The detail is an Age; the pages say it in the unit that fits the rule.
    AGE = "age"
    # Born so close to an hours or minutes limit that a date of birth cannot tell.
    AGE_TOO_CLOSE = "age_too_close"
    # A known route answered "no": other routes exist, so this rules nothing out.
    OTHER_ROUTE = "other_route"


class Age(NamedTuple):
    months: int
    days: int
    unit: str  # the unit of the rule: "years", "months", "weeks", "days", "hours" or "minutes"


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


MINUTES_IN = {"hours": 60, "minutes": 1}
AGE_UNITS = ("years", "months", "weeks", "days", "hours", "minutes")


def age_status(birth: datetime.date, today: datetime.date, number: int, unit: str, *, at_least: bool) -> Status | None:
    """Whether the age today, in whole `unit`s, is at least (or at most) `number`.

    None when a date of birth cannot tell: a limit in hours or minutes near the
    child's age, since we do not know the hour of birth.
    """
    if unit in MINUTES_IN:
        days = (today - birth).days
        per_day = 24 * 60 // MINUTES_IN[unit]
        # The true age lies between these, whatever the hour of birth and the time now.
        low, high = max(days - 1, 0) * per_day, (days + 1) * per_day
        limit = number if at_least else number + 1
        if low >= limit:
            return Status.MET if at_least else Status.NOT_MET
        if high <= limit:
            return Status.NOT_MET if at_least else Status.MET
        return None
    if unit == "years":
        age = age_in_months(birth, today) // 12
    elif unit == "months":
        age = age_in_months(birth, today)
    elif unit == "weeks":
        age = (today - birth).days // 7
    elif unit == "days":
        age = (today - birth).days
    else:
        raise ValueError(f"unknown age unit {unit!r}")
    fits = age >= number if at_least else age <= number
    return Status.MET if fits else Status.NOT_MET


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
    # None: the study team checks this rule; the pre-screener only shows it.
    question: str | None
    operator: str = ""
    values: tuple = ()
    source: str = Source.STAFF
    # A "not met" from an answer a guardian could easily have wrong (a syndrome,
    # the exact diagnosis, steroids...): worth a question for the child's doctor.
    ask_doctor: bool = False

    @property
    def reads(self) -> tuple[str, ...]:
        """The answers this rule needs, in the order a guardian gives them."""
        if self.question is None:
            return ()
        if self.operator == Operator.DIAGNOSED_BEFORE_AGE_MONTHS:
            return (BIRTH_DATE, self.question)
        if self.operator == Operator.ALL_YES:
            return (self.question, *self.values)
        return (self.question,)

    @property
    def signature(self) -> tuple:
        """What the evaluation depends on: trials with the same rule share one evaluation."""
        return (self.kind, self.operator, self.values, self.reads)


@dataclass(slots=True)
class TrialRules:
    nct_id: str
    rules: tuple[Rule, ...]
    # Staff mark a trial's criteria complete once every published criterion is
    # encoded and reviewed. Until then it never "may qualify".
    complete: bool = False
    # Split once: rules the engine checks, and rules the study team checks.
    checked: tuple[Rule, ...] = field(init=False, repr=False)
    unchecked: tuple[Rule, ...] = field(init=False, repr=False)
    signatures: tuple[tuple, ...] = field(init=False, repr=False)

    def __post_init__(self):
        self.checked = tuple(rule for rule in self.rules if rule.question is not None)
        self.unchecked = tuple(rule for rule in self.rules if rule.question is None)
        self.signatures = tuple(signature_id(rule) for rule in self.checked)

    def question_keys(self) -> set[str]:
        return {key for rule in self.rules for key in rule.reads}


_SIGNATURES: dict[tuple, int] = {}


def signature_id(rule: Rule) -> int:
    """A small number per distinct rule (what it compares, and how): cheaper to look up than the rule."""
    return _SIGNATURES.setdefault(rule.signature, len(_SIGNATURES))


class RuleResult(NamedTuple):
    rule: Rule
    status: Status
    reason: Reason
    # The answer or figure behind the reason (a choice value, an Age, a question key...).
    detail: object = None


class TrialResult(NamedTuple):
    # A named tuple rather than a dataclass: one guardian against 10,000 trials
    # makes 10,000 of these, and each object made is work for the garbage collector.
    nct_id: str
    outcome: Outcome
    checked: tuple[Rule, ...]
    # (status, reason, detail) per checked rule, in the same order; shared between trials.
    evaluations: tuple[tuple, ...]
    unchecked: tuple[Rule, ...] = ()
    complete: bool = False

    @property
    def results(self) -> tuple[RuleResult, ...]:
        return tuple(RuleResult(rule, *found) for rule, found in zip(self.checked, self.evaluations, strict=True))

    @property
    def has_unknown(self) -> bool:
        return any(found[0] == Status.UNKNOWN for found in self.evaluations)


# ---------------------------------------------------------------------------
# Evaluation


def rule_status(rule: Rule, answers: Mapping[str, object], today: datetime.date) -> tuple[Status, Reason, object]:
    """One rule over the answers. Answers are already parsed (dates are dates)."""
    if rule.operator == Operator.ALL_YES:
        return _route_status(rule, answers)
    for key in rule.reads:
        answer = answers.get(key)
        if answer is None or answer == "":
            return Status.UNKNOWN, Reason.MISSING, None
        if answer == UNSURE:
            return Status.UNKNOWN, Reason.UNSURE, None

    answer = answers[rule.question]
    operator, values = rule.operator, rule.values
    if operator == Operator.IN:
        fits, reason, detail = answer in values, Reason.ANSWER, answer
    elif operator == Operator.NOT_IN:
        fits, reason, detail = answer not in values, Reason.ANSWER, answer
    elif operator == Operator.DIAGNOSED_BEFORE_AGE_MONTHS:
        months = age_in_months(answers[BIRTH_DATE], answer)
        fits, reason, detail = months < int(values[0]), Reason.DIAGNOSED_AT_MONTHS, months
    elif operator in (Operator.AGE_AT_MOST_YEARS, Operator.AGE_AT_LEAST, Operator.AGE_AT_MOST):
        number, unit = (values[0], "years") if operator == Operator.AGE_AT_MOST_YEARS else values
        age = Age(age_in_months(answer, today), (today - answer).days, unit)
        status = age_status(answer, today, int(number), unit, at_least=operator == Operator.AGE_AT_LEAST)
        if status is None:
            return Status.UNKNOWN, Reason.AGE_TOO_CLOSE, age
        fits, reason, detail = status == Status.MET, Reason.AGE, age
    else:
        raise ValueError(f"unknown operator {operator!r}")

    # An exclusion rule describes who cannot join: matching it rules the child out.
    if rule.kind == RuleKind.EXCLUSION:
        fits = not fits
    return (Status.MET if fits else Status.NOT_MET), reason, detail


def _route_status(rule: Rule, answers: Mapping[str, object]) -> tuple[Status, Reason, object]:
    given = [answers.get(key) for key in rule.reads]
    if NO in given:
        return Status.UNKNOWN, Reason.OTHER_ROUTE, rule.reads[given.index(NO)]
    if UNSURE in given:
        return Status.UNKNOWN, Reason.UNSURE, None
    if any(answer in (None, "") for answer in given):
        return Status.UNKNOWN, Reason.MISSING, None
    return Status.MET, Reason.ANSWER, YES


def trial_evaluate(
    trial: TrialRules, answers: Mapping[str, object], *, today: datetime.date, memo: dict | None = None
) -> TrialResult:
    """Every checked rule of one trial. `memo` shares the work between trials
    that have the same rule; one guardian against 10,000 trials makes few
    distinct evaluations."""
    memo = {} if memo is None else memo
    for rule, signature in zip(trial.checked, trial.signatures, strict=True):
        if signature not in memo:
            memo[signature] = rule_status(rule, answers, today)
    evaluations = tuple(map(memo.__getitem__, trial.signatures))
    statuses = {found[0] for found in evaluations}
    if Status.NOT_MET in statuses:
        outcome = Outcome.DOES_NOT_QUALIFY
    elif Status.UNKNOWN in statuses or not trial.complete:
        outcome = Outcome.NEEDS_MORE_INFORMATION
    else:
        outcome = Outcome.MAY_QUALIFY
    return TrialResult(trial.nct_id, outcome, trial.checked, evaluations, trial.unchecked, trial.complete)


def trials_evaluate(
    trials: Sequence[TrialRules], answers: Mapping[str, object], *, today: datetime.date
) -> list[TrialResult]:
    memo: dict = {}
    return [trial_evaluate(trial, answers, today=today, memo=memo) for trial in trials]


# ---------------------------------------------------------------------------
# Rules from the registry record

REGISTRY_AGE = re.compile(r"^\s*(\d+)\s*(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
# The registry's sex field, and the answer to the sex question that fits it.
REGISTRY_SEX = {"FEMALE": "girl", "MALE": "boy"}


def registry_age(text: str) -> tuple[int, str] | None:
    """ "18 Years" -> (18, "years"); "N/A", "" or anything else -> None (no limit)."""
    match = REGISTRY_AGE.match(text or "")
    if not match:
        return None
    return int(match.group(1)), match.group(2).lower() + "s"


def registry_rules(*, minimum_age: str = "", maximum_age: str = "", sex: str = "") -> tuple[Rule, ...]:
    """The rules every trial's registry record gives: age limits and sex."""
    rules = []
    if (minimum := registry_age(minimum_age)) and minimum[0] > 0:
        rules.append(Rule("registry_minimum_age", "inclusion", BIRTH_DATE, Operator.AGE_AT_LEAST, minimum, "registry"))
    if maximum := registry_age(maximum_age):
        rules.append(Rule("registry_maximum_age", "inclusion", BIRTH_DATE, Operator.AGE_AT_MOST, maximum, "registry"))
    if answer := REGISTRY_SEX.get((sex or "").strip().upper()):
        rules.append(Rule("registry_sex", "inclusion", SEX, Operator.IN, (answer,), "registry"))
    return tuple(rules)


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


# ---------------------------------------------------------------------------
# Checking a rule before it is saved (the admin and the content files)


def rule_problems(
    *,
    question: QuestionSpec | None,
    operator: str,
    values: object,
    kind: str = RuleKind.INCLUSION,
    question_key: str | None = None,
    others: Mapping[str, QuestionSpec] | None = None,
) -> dict[str, str]:
    """What is wrong with a rule, by field ("question", "operator", "values"); empty when it is sound.

    `question_key` names the question when `question` could not be found.
    `others` are the questions an "every answer yes" rule names in its values.
    """
    if question is None:
        if question_key:
            return {"question": _("There is no question with the key “%(key)s”.") % {"key": question_key}}
        if operator or values:
            return {"question": _("Choose the question this rule reads, or clear the comparison and the values.")}
        return {}
    if not operator:
        return {"operator": _("Choose how the answer is compared.")}
    if operator not in STAFF_OPERATORS:
        return {"operator": _("Unknown comparison “%(operator)s”.") % {"operator": operator}}
    if operator == Operator.ALL_YES:
        return _route_problems(question, values, kind, others or {})
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


def _route_problems(question: QuestionSpec, values: object, kind: str, others: Mapping[str, QuestionSpec]) -> dict:
    if kind != RuleKind.INCLUSION:
        return {"operator": _("“Every answer is yes” describes a way to join: use it for a who-can-join rule.")}
    if question.kind != Kind.YES_NO:
        return {"question": _("This comparison needs yes/no questions.")}
    if not isinstance(values, list | tuple):
        return {"values": _('Give the keys of the other yes/no questions as a list, for example ["surgery_done"].')}
    for key in values:
        other = others.get(key) if isinstance(key, str) else None
        if other is None or other.kind != Kind.YES_NO or key == question.key:
            return {"values": _("“%(key)s” is not another yes/no question.") % {"key": key}}
    return {}
