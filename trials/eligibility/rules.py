"""Rules, answers and outcomes as plain data, and their evaluation (see the package docstring)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

UNSURE = "unsure"
YES = "yes"
NO = "no"
YES_NO_VALUES = (YES, NO, UNSURE)
BIRTH_DATE = "birth_date"
SEX = "sex"


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
    # Past a registry's upper age by less than one of its units ("2 Years" and 2 years 11 months old):
    # whole units say it fits, the exact age says it does not. Only the study team can say.
    AGE_PAST_LIMIT = "age_past_limit"


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


def months_after(birth: datetime.date, months: int) -> datetime.date:
    """The day a child born on `birth` is `months` months old (the 1st of the next month where the day is missing)."""
    year, month = divmod(birth.year * 12 + birth.month - 1 + months, 12)
    try:
        return datetime.date(year, month + 1, birth.day)
    except ValueError:
        return datetime.date(year + (month == 11), (month + 1) % 12 + 1, 1)


def past_exactly(birth: datetime.date, today: datetime.date, number: int, unit: str) -> bool:
    """True when the child is older than exactly `number` `unit`s (a day past their Nth birthday, say)."""
    if unit in ("years", "months"):
        return today > months_after(birth, number * (12 if unit == "years" else 1))
    days = {"weeks": 7, "days": 1}.get(unit)
    return days is not None and (today - birth).days > number * days


MINUTES_IN = {"hours": 60, "minutes": 1}


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
        if operator == Operator.AGE_AT_MOST and status == Status.MET and past_exactly(answer, today, int(number), unit):
            return Status.UNKNOWN, Reason.AGE_PAST_LIMIT, age
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
