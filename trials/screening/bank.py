"""The pre-screener's bank: the questions, and every published trial that may still enrol with its rules."""

from __future__ import annotations

import gc
import uuid
from dataclasses import dataclass
from functools import cached_property

from django.core.cache import cache
from django.db.models import Prefetch

from trials import eligibility
from trials.cache import content_version
from trials.models import Criterion, Question, Trial, prefetch_reviews
from trials.models.content import RegistryStatus

# The registry's statuses for a study that takes no new participants (one definition, on the model).
CLOSED_STATUSES = RegistryStatus.closed()


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

    @cached_property
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
    questions = list(Question.objects.prefetch_related("choices", prefetch_reviews()))
    key_of = {q.id: q.key for q in questions}
    criteria = Criterion.objects.prefetch_related(prefetch_reviews())
    trials = Trial.objects.published().prefetch_related(prefetch_reviews(), Prefetch("criteria", queryset=criteria))
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
