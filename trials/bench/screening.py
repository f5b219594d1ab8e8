"""Pre-screener figures: engine speed over the shipped trials, and one guardian against 10,000 trials.

The engine is plain Python, so this needs no database: the rules come from the
shipped content files, and the synthetic trials are built in memory.
"""

import datetime
import json
import random
import statistics
import time
import tracemalloc
from pathlib import Path

import yaml

from trials import eligibility
from trials.eligibility import QuestionSpec, Rule, TrialRules

CONTENT = Path(__file__).resolve().parent.parent / "data" / "content"
TODAY = datetime.date(2026, 11, 21)
SYNTHETIC_TRIALS = 10_000

ANSWERS = {
    "birth_date": "2026-02-10",
    "diagnosis": "all",
    "diagnosis_date": "2026-09-01",
    "disease_status": "newly_diagnosed",
    "prior_stem_cell_transplant": "no",
    "steroids_last_4_weeks": "unsure",
    "marrow_failure_syndrome": "no",
    "medicine_contraindication": "no",
    "other_interventional_study": "no",
    "guardian_consent": "yes",
}


def prescreen_body() -> bytes:
    """A realistic body for POST /api/v1/prescreen (all trials), for the HTTP bench."""
    return json.dumps({"answers": ANSWERS}).encode()


def shipped() -> tuple[list[QuestionSpec], list[TrialRules]]:
    questions = yaml.safe_load((CONTENT / "questions.yaml").read_text(encoding="utf-8"))["questions"]
    criteria = yaml.safe_load((CONTENT / "criteria.yaml").read_text(encoding="utf-8"))["criteria"]
    specs = [
        QuestionSpec(
            key=q["key"],
            kind=q["kind"],
            choices=tuple(c["value"] for c in q.get("choices", [])),
            step=q["step"],
            show_if=q.get("show_if"),
            show_if_values=tuple(q.get("show_if_values", [])),
        )
        for q in questions
    ]
    trials = [
        TrialRules(
            nct_id,
            tuple(
                Rule(c["key"], c["kind"], c.get("question"), c.get("operator", ""), tuple(c.get("values", [])))
                for c in items
            ),
        )
        for nct_id, items in criteria.items()
    ]
    return specs, trials


def synthetic_trials(specs: list[QuestionSpec], count: int, seed: int = 7) -> list[TrialRules]:
    """Trials with 3 to 12 rules each, over the real question bank."""
    rng = random.Random(seed)
    choice_specs = [s for s in specs if s.kind != eligibility.Kind.DATE]
    trials = []
    for number in range(count):
        rules = [Rule("age", "inclusion", "birth_date", eligibility.Operator.AGE_AT_MOST_YEARS, (rng.randint(1, 21),))]
        if rng.random() < 0.5:
            months = (rng.choice([12, 18, 24]),)
            rules.append(Rule("dx-age", "inclusion", "diagnosis_date", "diagnosed_before_age_months", months))
        for index in range(rng.randint(2, 10)):
            spec = rng.choice(choice_specs)
            answers = [v for v in spec.allowed_values() if v != eligibility.UNSURE]
            values = tuple(rng.sample(answers, rng.randint(1, max(1, len(answers) - 1))))
            kind = rng.choice(["inclusion", "exclusion"])
            rules.append(Rule(f"r{index}", kind, spec.key, rng.choice(["in", "not_in"]), values))
        trials.append(TrialRules(f"NCT9{number:07d}", tuple(rules)))
    return trials


def one_guardian(specs, trials) -> list:
    """What a request does: read the answers, drop those no longer asked, evaluate every trial."""
    answers, errors = eligibility.answers_parse(specs, ANSWERS, today=TODAY, strict_keys=True)
    assert not errors
    answers = eligibility.visible_answers(specs, answers)
    return eligibility.trials_evaluate(trials, answers, today=TODAY)


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def run() -> list[tuple[str, str]]:
    specs, trials = shipped()
    one_guardian(specs, trials)  # warm up

    rounds = 20_000
    start = time.perf_counter()
    for _ in range(rounds):
        one_guardian(specs, trials)
    elapsed = time.perf_counter() - start
    rule_count = sum(len(t.checked) for t in trials)

    start = time.perf_counter()
    many = synthetic_trials(specs, SYNTHETIC_TRIALS)
    build = time.perf_counter() - start
    many_rules = sum(len(t.rules) for t in many)
    times = timed(lambda: one_guardian(specs, many), 15)
    outcomes = {}
    for result in one_guardian(specs, many):
        outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1

    tracemalloc.start()
    kept = synthetic_trials(specs, SYNTHETIC_TRIALS)
    memory, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept

    median = statistics.median(times) * 1000
    return [
        (
            f"shipped trials ({len(trials)} trials, {rule_count} rules), one guardian",
            f"{rounds / elapsed:,.0f} pre-screens/s ({elapsed / rounds * 1e6:.1f} µs each)",
        ),
        (
            f"synthetic: {SYNTHETIC_TRIALS:,} trials, {many_rules:,} rules, one guardian",
            f"median {median:.1f} ms, worst {max(times) * 1000:.1f} ms (goal < 100 ms: "
            f"{'met' if median < 100 else 'NOT met'})",
        ),
        ("synthetic: outcomes", ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items()))),
        ("synthetic: building the rule objects (once)", f"{build * 1000:.0f} ms, {memory / 1e6:.1f} MB"),
    ]


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:60} {figure}")
