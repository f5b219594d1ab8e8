"""Pre-screener figures: the engine over the shipped trials, and one guardian against 10,000 trials.

The engine is plain Python, so this needs no database: the rules come from the
shipped content and registry files, and the synthetic trials are built in
memory, each with its registry rules (age limits in years, months or weeks, and
sometimes one sex) plus 7 rules encoded over the real question bank.
"""

import datetime
import gc
import json
import random
import statistics
import time
import tracemalloc
from pathlib import Path

import yaml

from trials import eligibility
from trials.eligibility import QuestionSpec, Rule, TrialRules

DATA = Path(__file__).resolve().parent.parent / "data"
TODAY = datetime.date(2026, 11, 21)
SYNTHETIC_TRIALS = 10_000
ENCODED_RULES = 7
ROUNDS = 31
GOAL_MEDIAN_MS, GOAL_WORST_MS = 50, 100

ANSWERS = {
    "birth_date": "2026-02-10",
    "diagnosis": "all",
    "sex": "girl",
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
    from trials.registry import read_file  # needs Django set up

    content = DATA / "content"
    questions = yaml.safe_load((content / "questions.yaml").read_text(encoding="utf-8"))["questions"]
    criteria = yaml.safe_load((content / "criteria.yaml").read_text(encoding="utf-8"))
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
    records = {
        facts.nct_id: facts.values for path in sorted((DATA / "registry").glob("*.json")) for facts in read_file(path)
    }
    trials = []
    for nct_id, items in criteria["criteria"].items():
        record = records.get(nct_id, {})
        registry = eligibility.registry_rules(
            minimum_age=record.get("minimum_age", ""),
            maximum_age=record.get("maximum_age", ""),
            sex=record.get("sex", ""),
        )
        encoded = tuple(
            Rule(c["key"], c["kind"], c.get("question"), c.get("operator", ""), tuple(c.get("values", [])))
            for c in items
        )
        trials.append(TrialRules(nct_id, registry + encoded, complete=nct_id in criteria["criteria_complete"]))
    return specs, trials


REGISTRY_MINIMUMS = ["", "N/A", "0 Years", "1 Year", "6 Months", "4 Weeks", "2 Years", "12 Years", "18 Years"]
REGISTRY_MAXIMUMS = ["", "N/A", "2 Years", "18 Months", "21 Years", "17 Years", "30 Days", "65 Years", "99 Years"]


def synthetic_trials(specs: list[QuestionSpec], count: int, seed: int = 7) -> list[TrialRules]:
    """Trials over the real question bank: registry rules plus 7 encoded rules each."""
    rng = random.Random(seed)
    choice_specs = [s for s in specs if s.kind != eligibility.Kind.DATE]
    trials = []
    for number in range(count):
        registry = eligibility.registry_rules(
            minimum_age=rng.choice(REGISTRY_MINIMUMS),
            maximum_age=rng.choice(REGISTRY_MAXIMUMS),
            sex=rng.choices(["ALL", "FEMALE", "MALE"], weights=[8, 1, 1])[0],
        )
        encoded = []
        if rng.random() < 0.5:
            months = (rng.choice([12, 18, 24]),)
            encoded.append(Rule("dx-age", "inclusion", "diagnosis_date", "diagnosed_before_age_months", months))
        while len(encoded) < ENCODED_RULES:
            spec = rng.choice(choice_specs)
            answers = [v for v in spec.allowed_values() if v != eligibility.UNSURE]
            values = tuple(rng.sample(answers, rng.randint(1, max(1, len(answers) - 1))))
            kind = rng.choice(["inclusion", "exclusion"])
            encoded.append(Rule(f"r{len(encoded)}", kind, spec.key, rng.choice(["in", "not_in"]), values))
        trials.append(TrialRules(f"NCT9{number:07d}", registry + tuple(encoded), complete=rng.random() < 0.3))
    return trials


def one_guardian(specs, trials) -> list:
    """What a request does: read the answers, drop those no longer asked, evaluate every trial."""
    answers, errors = eligibility.answers_parse(specs, ANSWERS, today=TODAY)
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
    registry_rules = sum(1 for t in many for r in t.rules if r.source == eligibility.Source.REGISTRY)
    one_guardian(specs, many)  # warm up
    unfrozen = [t * 1000 for t in timed(lambda: one_guardian(specs, many), ROUNDS)]
    # As the site keeps its bank (trials/screening/bank.py): out of the garbage collector's walks.
    gc.freeze()
    times = [t * 1000 for t in timed(lambda: one_guardian(specs, many), ROUNDS)]
    gc.unfreeze()
    outcomes = {}
    for result in one_guardian(specs, many):
        outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1

    tracemalloc.start()
    kept = synthetic_trials(specs, SYNTHETIC_TRIALS)
    memory, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept

    median, worst = statistics.median(times), max(times)
    verdict = "met" if median < GOAL_MEDIAN_MS and worst < GOAL_WORST_MS else "NOT met"
    return [
        (
            f"shipped trials ({len(trials)} trials, {rule_count} rules), one guardian",
            f"{rounds / elapsed:,.0f} pre-screens/s ({elapsed / rounds * 1e6:.1f} µs each)",
        ),
        (
            f"synthetic: {SYNTHETIC_TRIALS:,} trials, one guardian, {ROUNDS} runs",
            f"median {median:.1f} ms, worst {worst:.1f} ms",
        ),
        (
            "synthetic: rules (of which from registry records)",
            f"{many_rules:,} ({registry_rules:,}): registry rules plus {ENCODED_RULES} encoded per trial",
        ),
        ("synthetic: goal median < 50 ms and worst < 100 ms", f"{verdict} (fastest {min(times):.1f} ms)"),
        (
            "synthetic: the same, bank left to the garbage collector",
            f"median {statistics.median(unfrozen):.1f} ms, worst {max(unfrozen):.1f} ms",
        ),
        ("synthetic: outcomes", ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items()))),
        ("synthetic: building the rule objects (once)", f"{build * 1000:.0f} ms, {memory / 1e6:.1f} MB"),
    ]


if __name__ == "__main__":
    import django

    django.setup()
    for label, figure in run():
        print(f"{label:58} {figure}")
