"""The pre-screener below the views: its question bank and rules, and what a result says.

The pages (`views/screening.py`) and the JSON API (`views/api_screening.py`) both
start from `screening_bank()`: the questions and, for every published trial
that may still enrol, its rules from the registry record side by side with the
rules staff encoded. The bank is built once per content version and kept in
this process. `screen()` runs the engine (`trials/eligibility.py`) over one
guardian's answers and says, in the active language, what it found: each
rule with its reason, the outcome, and the questions to take to the doctor.

Nothing here stores answers or touches a request.
"""

from __future__ import annotations

import datetime
import gc
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.utils import formats
from django.utils.translation import get_language, gettext, ngettext

from trials import eligibility
from trials.cache import content_version
from trials.eligibility import Outcome, Reason, RuleResult, Status
from trials.models import Criterion, Question, Trial

# ClinicalTrials.gov's statuses for a study that takes no new participants
# (overallStatus, with the expanded-access ones). Any other value, including
# one we do not know yet, is screened: leaving a trial out must be a decision.
CLOSED_STATUSES = frozenset(
    {
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "TERMINATED",
        "WITHDRAWN",
        "SUSPENDED",
        "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE",
        "APPROVED_FOR_MARKETING",
        "WITHHELD",
    }
)


def may_enrol(status: str) -> bool:
    return (status or "").strip().upper() not in CLOSED_STATUSES


# ---------------------------------------------------------------------------
# The bank


@dataclass(frozen=True)
class ScreenedTrial:
    trial: Trial
    rules: eligibility.TrialRules
    criteria: dict[str, Criterion]


@dataclass(frozen=True)
class Bank:
    """The question bank (model objects to show, plain specs to evaluate) and the trials to screen."""

    questions: dict[str, Question]
    specs: tuple[eligibility.QuestionSpec, ...]
    trials: tuple[ScreenedTrial, ...]
    # Published trials that no longer take new children: left out, and said so.
    closed: tuple[Trial, ...] = ()

    @cached_property
    def scope(self) -> list[eligibility.QuestionSpec]:
        """The questions these trials need, in the bank's order."""
        return eligibility.questions_for(self.specs, [screened.rules for screened in self.trials])

    def only(self, nct_ids) -> Bank:
        """The same bank for some trials only (NCT numbers, any case)."""
        wanted = {nct_id.strip().upper() for nct_id in nct_ids}
        return Bank(
            self.questions,
            self.specs,
            tuple(s for s in self.trials if s.trial.nct_id in wanted),
            tuple(t for t in self.closed if t.nct_id in wanted),
        )

    def nct_ids(self) -> set[str]:
        return {s.trial.nct_id for s in self.trials} | {t.nct_id for t in self.closed}


def trial_rules(trial: Trial, key_of: dict[int, str]) -> eligibility.TrialRules:
    """The registry's rules first, then staff's, in the order staff gave them."""
    registry = eligibility.registry_rules(minimum_age=trial.minimum_age, maximum_age=trial.maximum_age, sex=trial.sex)
    criteria = sorted(trial.criteria.all(), key=lambda c: (c.kind != Criterion.Kind.INCLUSION, c.order, c.id))
    staff = tuple(criterion.as_rule(key_of) for criterion in criteria)
    return eligibility.TrialRules(trial.nct_id, registry + staff, complete=trial.criteria_complete)


def bank_load() -> Bank:
    """Loads the questions and every published trial with a fixed number of queries."""
    questions = list(Question.objects.prefetch_related("choices", "reviews"))
    key_of = {q.id: q.key for q in questions}
    criteria = Criterion.objects.prefetch_related("reviews")
    trials = Trial.objects.published().prefetch_related("reviews", Prefetch("criteria", queryset=criteria))
    screened, closed = [], []
    for trial in trials:
        if may_enrol(trial.overall_status):
            screened.append(ScreenedTrial(trial, trial_rules(trial, key_of), {c.key: c for c in trial.criteria.all()}))
        else:
            closed.append(trial)
    return Bank(
        questions={q.key: q for q in questions},
        specs=tuple(q.as_spec(key_of) for q in questions),
        trials=tuple(screened),
        closed=tuple(closed),
    )


_kept: tuple[str, Bank] | None = None


def screening_bank() -> Bank:
    """The bank, built once per content version and kept in this process.

    Every content save bumps the version (trials/cache.py). The cache holds
    only a token naming the build; a cleared cache, or another version, means
    a new build. Processes sharing a cache adopt the first token, so they do not
    rebuild each other's banks.
    """
    global _kept
    key = f"screening-bank:{content_version()}"
    token = cache.get(key)
    if _kept is not None and token is not None and _kept[0] == token:
        return _kept[1]
    # The bank lives until content changes: tens of thousands of objects with
    # 10,000 trials. Left to the garbage collector, every full collection walks
    # them all, a pause of about 80 ms in the middle of some request. Frozen,
    # they are skipped. A replaced bank is unfrozen first, so it can be freed.
    gc.unfreeze()
    bank = bank_load()
    gc.freeze()
    cache.add(key, uuid.uuid4().hex, None)
    token = cache.get(key)
    if token is not None:
        _kept = (token, bank)
    return bank


# ---------------------------------------------------------------------------
# Words


def long_date(day: datetime.date) -> str:
    """25 April 2026, 2026년 4월 25일, 2026年4月25日: never a bare ISO date."""
    if (get_language() or "en").startswith("en"):
        return formats.date_format(day, "j F Y")
    return formats.date_format(day, "DATE_FORMAT")


def yes_no_labels() -> dict[str, str]:
    return {eligibility.YES: gettext("Yes"), eligibility.NO: gettext("No"), eligibility.UNSURE: gettext("Not sure")}


def answer_label(question: Question, value) -> str:
    if isinstance(value, datetime.date):
        return long_date(value)
    if question.kind == Question.Kind.YES_NO:
        return yes_no_labels().get(value, str(value))
    for choice in question.choices.all():
        if choice.value == value:
            return choice.label
    return gettext("Not sure") if value == eligibility.UNSURE else str(value)


def age_words(number: int, unit: str) -> str:
    forms = {
        "years": lambda: ngettext("%(count)d year", "%(count)d years", number),
        "months": lambda: ngettext("%(count)d month", "%(count)d months", number),
        "weeks": lambda: ngettext("%(count)d week", "%(count)d weeks", number),
        "days": lambda: ngettext("%(count)d day", "%(count)d days", number),
        "hours": lambda: ngettext("%(count)d hour", "%(count)d hours", number),
        "minutes": lambda: ngettext("%(count)d minute", "%(count)d minutes", number),
    }
    return forms[unit]() % {"count": number}


def registry_rule_text(rule: eligibility.Rule) -> str:
    if rule.operator == eligibility.Operator.AGE_AT_LEAST:
        return gettext("Age %(age)s or older (from the registry)") % {"age": age_words(*rule.values)}
    if rule.operator == eligibility.Operator.AGE_AT_MOST:
        return gettext("Age %(age)s or younger (from the registry)") % {"age": age_words(*rule.values)}
    if rule.values == ("girl",):
        return gettext("Girls only (from the registry)")
    return gettext("Boys only (from the registry)")


def age_reason(age: eligibility.Age) -> str:
    """The child's age in the unit that fits the rule: weeks or days for small limits, months for babies."""
    if age.unit == "weeks":
        weeks = age.days // 7
        return ngettext("Your child is %(weeks)d week old.", "Your child is %(weeks)d weeks old.", weeks) % {
            "weeks": weeks
        }
    if age.unit in ("days", "hours", "minutes"):
        return ngettext("Your child is %(days)d day old.", "Your child is %(days)d days old.", age.days) % {
            "days": age.days
        }
    if age.months < 24:
        # A baby's age is said in months: "0 years old" helps nobody.
        return ngettext("Your child is %(months)d month old.", "Your child is %(months)d months old.", age.months) % {
            "months": age.months
        }
    years = age.months // 12
    return ngettext("Your child is %(years)d year old.", "Your child is %(years)d years old.", years) % {"years": years}


def reason_text(result: RuleResult, bank: Bank) -> str:
    """One plain line saying why a rule came out as it did."""
    rule = result.rule
    if result.reason == Reason.MISSING:
        if rule.operator == eligibility.Operator.DIAGNOSED_BEFORE_AGE_MONTHS:
            return gettext("We need both the date of birth and the date of diagnosis.")
        return gettext("Not answered. It may not have been asked, because of an earlier answer.")
    if result.reason == Reason.UNSURE:
        return gettext("You answered “Not sure”.")
    if result.reason == Reason.OTHER_ROUTE:
        return gettext(
            "You answered “No” to one part. This study may have other ways to join, but we do not know them."
        )
    if result.reason == Reason.DIAGNOSED_AT_MONTHS:
        months = result.detail
        return ngettext(
            "Your child was diagnosed at %(months)d month old.",
            "Your child was diagnosed at %(months)d months old.",
            months,
        ) % {"months": months}
    if result.reason == Reason.AGE:
        return age_reason(result.detail)
    if result.reason == Reason.AGE_TOO_CLOSE:
        return gettext("Your child is so close to this age limit that the date of birth alone cannot tell.")
    if rule.operator == eligibility.Operator.ALL_YES:
        return gettext("You answered “Yes” to every part.")
    label = answer_label(bank.questions[rule.question], result.detail)
    return gettext("You answered: %(answer)s.") % {"answer": label}


def status_label(kind: str, status: Status) -> str:
    if status == Status.UNKNOWN:
        return gettext("Not known yet")
    if kind == eligibility.RuleKind.INCLUSION:
        return gettext("Fits") if status == Status.MET else gettext("Does not fit")
    # An exclusion that is "met" means the child is clear of it: say it that way.
    return gettext("Does not apply to your child") if status == Status.MET else gettext("Applies to your child")


def outcome_text(outcome: Outcome) -> str:
    return {
        Outcome.MAY_QUALIFY: gettext("Your child may qualify for this study."),
        Outcome.DOES_NOT_QUALIFY: gettext("Your child does not seem to qualify for this study."),
        Outcome.NEEDS_MORE_INFORMATION: gettext("We need more information to tell."),
    }[outcome]


def outcome_short(outcome: Outcome) -> str:
    """A few words, for a line per trial such as "NCT05303727: more information needed"."""
    return {
        Outcome.MAY_QUALIFY: gettext("may qualify"),
        Outcome.DOES_NOT_QUALIFY: gettext("does not seem to qualify"),
        Outcome.NEEDS_MORE_INFORMATION: gettext("more information needed"),
    }[outcome]


def left_out_text(closed: tuple[Trial, ...]) -> str:
    if not closed:
        return ""
    counts = Counter(str(trial.get_overall_status_display()) for trial in closed)
    statuses = ", ".join(f"{status} ({count})" for status, count in counts.items())
    return ngettext(
        "%(count)d trial was left out because it no longer takes new children: %(statuses)s.",
        "%(count)d trials were left out because they no longer take new children: %(statuses)s.",
        len(closed),
    ) % {"count": len(closed), "statuses": statuses}


# ---------------------------------------------------------------------------
# A result


@dataclass(frozen=True)
class Said:
    """Something shown to the guardian: a translated content field (shown with its
    review note on the pages) or an interface sentence."""

    obj: Question | Criterion | None = None
    field: str = ""
    plain: str = ""

    def __str__(self) -> str:
        return (getattr(self.obj, self.field) if self.obj is not None else "") or self.plain

    @property
    def from_content(self) -> bool:
        """True when the text comes from a content field (so the page can note an unreviewed translation)."""
        return self.obj is not None and bool(self.obj.field_text(self.field, settings.LANGUAGE_CODE))

    @property
    def is_question(self) -> bool:
        return isinstance(self.obj, Question)


@dataclass(frozen=True)
class Line:
    """One rule as the guardian reads it."""

    rule: eligibility.Rule
    status: Status
    status_label: str
    reason: str
    text: Said

    @property
    def from_registry(self) -> bool:
        return self.rule.source == eligibility.Source.REGISTRY


@dataclass
class TrialScreen:
    trial: Trial
    result: eligibility.TrialResult
    lines: list[Line]
    unchecked: list[Said]
    doctor_questions: list[Said] = field(default_factory=list)
    # What the guardian may choose to send to this trial's study team.
    summary: str = ""

    @property
    def outcome(self) -> Outcome:
        return self.result.outcome

    @property
    def outcome_text(self) -> str:
        return outcome_text(self.outcome)

    @property
    def explanation(self) -> str:
        """Why the outcome is what it is; the two kinds of "more information" are told apart."""
        if self.outcome == Outcome.MAY_QUALIFY:
            return gettext("Every question we could check fits. The study team still has to check the rest and decide.")
        if self.outcome == Outcome.DOES_NOT_QUALIFY:
            return gettext(
                "At least one answer below rules it out. If you think an answer is wrong, check it with your "
                "child's doctor."
            )
        if self.result.has_unknown and not self.result.complete:
            return gettext(
                "Some answers are not known yet, and some of this trial's rules are not published. Nothing rules "
                "your child out so far."
            )
        if self.result.has_unknown:
            return gettext("Some answers are not known yet. Nothing rules your child out so far.")
        return gettext(
            "Your answers fit every rule we know. Some of this trial's rules are not published, and only the "
            "study team can check them."
        )

    @property
    def inclusions(self) -> list[Line]:
        return [line for line in self.lines if line.rule.kind == eligibility.RuleKind.INCLUSION]

    @property
    def exclusions(self) -> list[Line]:
        return [line for line in self.lines if line.rule.kind == eligibility.RuleKind.EXCLUSION]

    @property
    def ruled_out_by(self) -> list[Line]:
        return [line for line in self.lines if line.status == Status.NOT_MET]

    def outcome_line(self, day: datetime.date) -> str:
        return gettext("What TrialFinder found for %(nct_id)s on %(date)s: %(outcome)s.") % {
            "nct_id": self.trial.nct_id,
            "date": long_date(day),
            "outcome": outcome_short(self.outcome),
        }


@dataclass
class Screening:
    checked_on: datetime.date
    trials: list[TrialScreen]
    closed: tuple[Trial, ...]
    # (question, the answer in words), in the order asked.
    answers: list[tuple[Question, str]]
    # Every question key of the bank, in order: doctor questions follow it.
    bank_order: list[str] = field(default_factory=list)

    @property
    def fitting(self) -> list[TrialScreen]:
        return [t for t in self.trials if t.outcome != Outcome.DOES_NOT_QUALIFY]

    @property
    def not_fitting(self) -> list[TrialScreen]:
        return [t for t in self.trials if t.outcome == Outcome.DOES_NOT_QUALIFY]

    @property
    def left_out_text(self) -> str:
        return left_out_text(self.closed)

    @property
    def doctor_questions(self) -> list[Said]:
        """Every trial's questions for the doctor, once each, questions of the bank in the bank's order first."""
        seen, found = set(), []
        for screen in self.trials:
            for said in screen.doctor_questions:
                if str(said) not in seen:
                    seen.add(str(said))
                    found.append(said)
        order = {key: index for index, key in enumerate(self.bank_order)}
        return sorted(found, key=lambda s: order.get(s.obj.key, len(order)) if s.is_question else len(order))

    def answers_text(self) -> str:
        # The wording is a question ("…?", "…？"), so the answer follows it directly.
        return "\n".join(f"{question.wording} {label}" for question, label in self.answers)

    def summary_for(self, screen: TrialScreen) -> str:
        """What the guardian may choose to send to one study team: this trial's result, then the answers."""
        return "\n".join([screen.outcome_line(self.checked_on), self.answers_text()]).strip()


def screen(bank: Bank, answers: dict, *, today: datetime.date) -> Screening:
    """Every trial in the bank over these (parsed, visible) answers; best outcomes first."""
    results = eligibility.trials_evaluate([s.rules for s in bank.trials], answers, today=today)
    asked = {spec.key for spec in eligibility.visible_questions(bank.scope, answers)}
    screens = [
        trial_screen(bank, screened, result, answers, asked)
        for screened, result in zip(bank.trials, results, strict=True)
    ]
    rank = {outcome: index for index, outcome in enumerate(eligibility.OUTCOME_ORDER)}
    screens.sort(key=lambda s: rank[s.outcome])  # stable: the trials' own order within an outcome
    shown = [spec.key for spec in bank.scope if spec.key in answers]
    found = Screening(
        checked_on=today,
        trials=screens,
        closed=bank.closed,
        answers=[(bank.questions[key], answer_label(bank.questions[key], answers[key])) for key in shown],
        bank_order=[spec.key for spec in bank.specs],
    )
    for screen_ in screens:
        screen_.summary = found.summary_for(screen_)
    return found


STATUS_ORDER = {Status.NOT_MET: 0, Status.UNKNOWN: 1, Status.MET: 2}


def trial_screen(bank: Bank, screened: ScreenedTrial, result, answers: dict, asked: set[str]) -> TrialScreen:
    lines = []
    for found in result.results:
        rule = found.rule
        if rule.source == eligibility.Source.REGISTRY:
            text = Said(plain=registry_rule_text(rule))
        else:
            text = Said(screened.criteria[rule.key], "text")
        lines.append(Line(rule, found.status, status_label(rule.kind, found.status), reason_text(found, bank), text))
    # What rules a child out comes first, then what is not known yet; staff's rules before the registry's.
    lines.sort(key=lambda line: (STATUS_ORDER[line.status], line.from_registry))
    unchecked = [Said(screened.criteria[rule.key], "text") for rule in result.unchecked]
    screen = TrialScreen(screened.trial, result, lines, unchecked)
    screen.doctor_questions = doctor_questions(bank, screened, result, answers, asked)
    return screen


def doctor_questions(bank: Bank, screened: ScreenedTrial, result, answers: dict, asked: set[str]) -> list[Said]:
    """The questions worth taking to the child's doctor, from every answer that decides this trial's outcome.

    - A "not met" the guardian could easily have wrong (the rule says so): check it.
    - A rule left unknown: the answers it still needs.
    - A criterion the study team checks, and the rules that are not published.
    A trial ruled out by an answer the guardian surely knows (an age, a "no" to
    consent) asks nothing. A trial ruled out only by answers worth checking asks
    about those, and about any question it asked that is still unknown.
    """
    results = result.results
    if any(r.status == Status.NOT_MET and not r.rule.ask_doctor for r in results):
        return []
    ruled_out = result.outcome == Outcome.DOES_NOT_QUALIFY
    found: list[Said] = []

    def about_rule(rule: eligibility.Rule, keys=None) -> list[Said]:
        criterion = screened.criteria.get(rule.key)
        if keys is None and criterion is not None and criterion.doctor_question:
            return [Said(criterion, "doctor_question")]
        keys = rule.reads if keys is None else keys
        questions = [bank.questions[key] for key in keys if key in bank.questions]
        if keys and all(q.doctor_question for q in questions) and len(questions) == len(keys):
            return [Said(q, "doctor_question") for q in questions]
        return [Said(criterion, "doctor_question", rule_question(screened, rule))]

    for r in results:
        if r.status == Status.NOT_MET:
            found += about_rule(r.rule)
        elif r.status == Status.UNKNOWN:
            if r.reason in (Reason.OTHER_ROUTE, Reason.AGE_TOO_CLOSE):
                # The answers cannot settle it: ask about the rule itself, then any part still unknown.
                found += about_rule(r.rule)
            keys = [key for key in r.rule.reads if answers.get(key) in (None, "", eligibility.UNSURE)]
            if ruled_out:
                keys = [key for key in keys if key in asked]
            if keys:
                found += about_rule(r.rule, keys)
    if not ruled_out:
        found += [about_rule(rule)[0] for rule in result.unchecked]
        if not result.complete:
            found.append(
                Said(
                    plain=gettext(
                        "Some rules of study %(nct_id)s are not published. Could you ask its study team whether "
                        "my child fits them?"
                    )
                    % {"nct_id": screened.trial.nct_id}
                )
            )
    return found


def rule_question(screened: ScreenedTrial, rule: eligibility.Rule) -> str:
    """A question about a rule that has none of its own."""
    criterion = screened.criteria.get(rule.key)
    text = criterion.text if criterion is not None else registry_rule_text(rule)
    return gettext("Does my child fit this rule of study %(nct_id)s: “%(rule)s”?") % {
        "nct_id": screened.trial.nct_id,
        "rule": text.rstrip("."),
    }
