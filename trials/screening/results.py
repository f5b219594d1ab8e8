"""One guardian's result: each trial's rules with their reasons, its outcome, and the questions for the doctor."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.utils.translation import gettext

from trials import eligibility
from trials.eligibility import Outcome, Reason, Status
from trials.models import Criterion, Question, Trial
from trials.screening.bank import Bank, ScreenedTrial
from trials.screening.words import (
    answer_label,
    left_out_text,
    long_date,
    outcome_short,
    outcome_text,
    reason_text,
    registry_rule_text,
    status_label,
)


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

    @cached_property
    def inclusions(self) -> list[Line]:
        return [line for line in self.lines if line.rule.kind == eligibility.RuleKind.INCLUSION]

    @cached_property
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
    # Its lists are read several times by the result page and never change once screened: cached_property.
    checked_on: datetime.date
    trials: list[TrialScreen]
    closed: tuple[Trial, ...]
    # (question, the answer in words), in the order asked.
    answers: list[tuple[Question, str]]
    # Every question key of the bank, in order: doctor questions follow it.
    bank_order: list[str] = field(default_factory=list)

    @cached_property
    def fitting(self) -> list[TrialScreen]:
        return [t for t in self.trials if t.outcome != Outcome.DOES_NOT_QUALIFY]

    @cached_property
    def not_fitting(self) -> list[TrialScreen]:
        return [t for t in self.trials if t.outcome == Outcome.DOES_NOT_QUALIFY]

    @property
    def left_out_text(self) -> str:
        return left_out_text(self.closed)

    @cached_property
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
            text = Said(plain=registry_rule_text(rule, screened.trial))
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
    text = criterion.text if criterion is not None else registry_rule_text(rule, screened.trial)
    return gettext("Does my child fit this rule of study %(nct_id)s: “%(rule)s”?") % {
        "nct_id": screened.trial.nct_id,
        "rule": text.rstrip("."),
    }
