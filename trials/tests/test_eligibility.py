"""The rule engine, over the shipped question bank and criteria (read from the YAML files, no database),
and over registry rules in every shape a registry record gives them."""

import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from trials import eligibility
from trials.eligibility import (
    Outcome,
    QuestionSpec,
    Reason,
    Rule,
    Status,
    TrialRules,
    age_in_months,
    answers_parse,
    registry_age,
    registry_rules,
    rule_problems,
    rule_status,
    trial_evaluate,
)

CONTENT = Path(__file__).resolve().parent.parent / "data" / "content"
TODAY = datetime.date(2026, 11, 21)
D = datetime.date.fromisoformat


def shipped_questions() -> list[QuestionSpec]:
    data = yaml.safe_load((CONTENT / "questions.yaml").read_text(encoding="utf-8"))
    return [
        QuestionSpec(
            key=item["key"],
            kind=item["kind"],
            choices=tuple(c["value"] for c in item.get("choices", [])),
            step=item["step"],
            show_if=item.get("show_if"),
            show_if_values=tuple(item.get("show_if_values", [])),
        )
        for item in data["questions"]
    ]


def shipped_trials() -> dict[str, TrialRules]:
    data = yaml.safe_load((CONTENT / "criteria.yaml").read_text(encoding="utf-8"))
    return {
        nct_id: TrialRules(
            nct_id,
            tuple(
                Rule(
                    key=item["key"],
                    kind=item["kind"],
                    question=item.get("question"),
                    operator=item.get("operator", ""),
                    values=tuple(item.get("values", [])),
                    ask_doctor=item.get("ask_doctor", False),
                )
                for item in items
            ),
            complete=nct_id in data["criteria_complete"],
        )
        for nct_id, items in data["criteria"].items()
    }


QUESTIONS = shipped_questions()
BY_KEY = {q.key: q for q in QUESTIONS}
TRIALS = shipped_trials()
LEUKEMIA = TRIALS["NCT06516679"]
NEUROBLASTOMA = TRIALS["NCT05303727"]


def rule(trial: TrialRules, key: str) -> Rule:
    return next(r for r in trial.rules if r.key == key)


def status_of(r: Rule, answers: dict, today: datetime.date = TODAY) -> Status:
    return rule_status(r, answers, today)[0]


# Oracles for the age convention, written the long way round.
def anniversary(birth: datetime.date, months: int) -> datetime.date:
    """The day a child born on `birth` becomes `months` months old: the same day
    number, or the 1st of the next month where that day does not exist."""
    year, month = divmod(birth.year * 12 + birth.month - 1 + months, 12)
    try:
        return datetime.date(year, month + 1, birth.day)
    except ValueError:
        year, month = (year + 1, 0) if month == 11 else (year, month + 1)
        return datetime.date(year, month + 1, 1)


def first_birthday(birth: datetime.date) -> datetime.date:
    return anniversary(birth, 12)


def age_in_years(birth: datetime.date, on: datetime.date) -> int:
    return age_in_months(birth, on) // 12


# ---------------------------------------------------------------------------
# The shipped data


def test_question_bank_has_exactly_the_agreed_keys_and_values():
    assert [q.key for q in QUESTIONS] == [
        "birth_date",
        "diagnosis",
        "sex",
        "diagnosis_date",
        "disease_status",
        "neuroblastoma_stage",
        "induction_courses_7_or_more",
        "tumour_surgery_done",
        "complete_response_normal_markers",
        "prior_stem_cell_transplant",
        "steroids_last_4_weeks",
        "marrow_failure_syndrome",
        "medicine_contraindication",
        "other_interventional_study",
        "guardian_consent",
    ]
    assert BY_KEY["birth_date"].kind == BY_KEY["diagnosis_date"].kind == "date"
    assert BY_KEY["diagnosis"].choices == (
        "all",
        "alal_lymphoid",
        "alal_other",
        "aml",
        "burkitt_or_mature_b",
        "neuroblastoma",
        "other",
        "unsure",
    )
    assert BY_KEY["disease_status"].choices == ("newly_diagnosed", "relapsed", "refractory", "unsure")
    assert BY_KEY["neuroblastoma_stage"].choices == ("stage_4_or_m", "other", "unsure")
    assert BY_KEY["sex"].choices == ("girl", "boy", "unsure")
    yes_no = {q.key for q in QUESTIONS if q.kind == "yes_no"}
    assert yes_no == {
        "induction_courses_7_or_more",
        "tumour_surgery_done",
        "complete_response_normal_markers",
        "marrow_failure_syndrome",
        "prior_stem_cell_transplant",
        "steroids_last_4_weeks",
        "other_interventional_study",
        "medicine_contraindication",
        "guardian_consent",
    }
    assert all(BY_KEY[key].allowed_values() == ("yes", "no", "unsure") for key in yes_no)


def test_every_shipped_rule_is_sound():
    for trial in TRIALS.values():
        for r in trial.checked:
            values = list(r.values)
            assert (
                rule_problems(
                    question=BY_KEY[r.question], operator=r.operator, values=values, kind=r.kind, others=BY_KEY
                )
                == {}
            ), r


def test_the_neuroblastoma_trial_asks_its_known_route_and_is_not_complete():
    assert not NEUROBLASTOMA.unchecked
    assert {r.key for r in NEUROBLASTOMA.checked} == {
        "age_18_or_under",
        "neuroblastoma",
        "stage_4_or_m",
        "treatment_response",
    }
    route = rule(NEUROBLASTOMA, "treatment_response")
    assert route.reads == ("induction_courses_7_or_more", "tumour_surgery_done", "complete_response_normal_markers")
    # Its exclusion criteria and other routes are not published.
    assert not NEUROBLASTOMA.complete


def test_the_route_questions_are_asked_only_for_neuroblastoma():
    for key in rule(NEUROBLASTOMA, "treatment_response").reads:
        assert BY_KEY[key].show_if == "diagnosis"
        assert BY_KEY[key].show_if_values == ("neuroblastoma",)


def test_the_leukemia_trial_encodes_every_listed_criterion_and_is_complete():
    assert LEUKEMIA.complete
    inclusions = {r.key for r in LEUKEMIA.checked if r.kind == "inclusion"}
    exclusions = {r.key for r in LEUKEMIA.checked if r.kind == "exclusion"}
    assert inclusions == {"diagnosed_before_age_1", "all_or_lymphoid_alal", "guardian_consent"}
    assert exclusions == {
        "burkitt_or_mature_b",
        "marrow_failure_syndrome",
        "prior_stem_cell_transplant",
        "relapsed",
        "medicine_contraindication",
        "steroids_last_4_weeks",
        "other_interventional_study",
    }
    # "Newly diagnosed" comes from the title, not from a known criterion: the study team checks it.
    assert [r.key for r in LEUKEMIA.unchecked] == ["newly_diagnosed"]


def test_each_answer_a_guardian_could_have_wrong_asks_for_a_doctor_check():
    asks = {r.key for trial in TRIALS.values() for r in trial.checked if r.ask_doctor}
    assert asks == {
        "all_or_lymphoid_alal",
        "burkitt_or_mature_b",
        "marrow_failure_syndrome",
        "prior_stem_cell_transplant",
        "relapsed",
        "medicine_contraindication",
        "steroids_last_4_weeks",
        "other_interventional_study",
        "stage_4_or_m",
    }


# ---------------------------------------------------------------------------
# Table tests: every rule of both trials

CHOICE_TABLE = [
    # (trial, rule key, answers, expected status)
    (LEUKEMIA, "all_or_lymphoid_alal", {"diagnosis": "all"}, Status.MET),
    (LEUKEMIA, "all_or_lymphoid_alal", {"diagnosis": "alal_lymphoid"}, Status.MET),
    (LEUKEMIA, "all_or_lymphoid_alal", {"diagnosis": "alal_other"}, Status.NOT_MET),
    (LEUKEMIA, "all_or_lymphoid_alal", {"diagnosis": "aml"}, Status.NOT_MET),
    (LEUKEMIA, "all_or_lymphoid_alal", {"diagnosis": "burkitt_or_mature_b"}, Status.NOT_MET),
    (LEUKEMIA, "all_or_lymphoid_alal", {"diagnosis": "neuroblastoma"}, Status.NOT_MET),
    (LEUKEMIA, "all_or_lymphoid_alal", {"diagnosis": "other"}, Status.NOT_MET),
    (LEUKEMIA, "all_or_lymphoid_alal", {"diagnosis": "unsure"}, Status.UNKNOWN),
    (LEUKEMIA, "all_or_lymphoid_alal", {}, Status.UNKNOWN),
    (LEUKEMIA, "guardian_consent", {"guardian_consent": "yes"}, Status.MET),
    (LEUKEMIA, "guardian_consent", {"guardian_consent": "no"}, Status.NOT_MET),
    (LEUKEMIA, "guardian_consent", {"guardian_consent": "unsure"}, Status.UNKNOWN),
    (LEUKEMIA, "guardian_consent", {}, Status.UNKNOWN),
    (LEUKEMIA, "burkitt_or_mature_b", {"diagnosis": "burkitt_or_mature_b"}, Status.NOT_MET),
    (LEUKEMIA, "burkitt_or_mature_b", {"diagnosis": "all"}, Status.MET),
    (LEUKEMIA, "burkitt_or_mature_b", {"diagnosis": "alal_lymphoid"}, Status.MET),
    (LEUKEMIA, "burkitt_or_mature_b", {"diagnosis": "unsure"}, Status.UNKNOWN),
    (LEUKEMIA, "burkitt_or_mature_b", {}, Status.UNKNOWN),
    (LEUKEMIA, "relapsed", {"disease_status": "relapsed"}, Status.NOT_MET),
    (LEUKEMIA, "relapsed", {"disease_status": "newly_diagnosed"}, Status.MET),
    (LEUKEMIA, "relapsed", {"disease_status": "refractory"}, Status.MET),
    (LEUKEMIA, "relapsed", {"disease_status": "unsure"}, Status.UNKNOWN),
    (NEUROBLASTOMA, "neuroblastoma", {"diagnosis": "neuroblastoma"}, Status.MET),
    (NEUROBLASTOMA, "neuroblastoma", {"diagnosis": "all"}, Status.NOT_MET),
    (NEUROBLASTOMA, "neuroblastoma", {"diagnosis": "other"}, Status.NOT_MET),
    (NEUROBLASTOMA, "neuroblastoma", {"diagnosis": "unsure"}, Status.UNKNOWN),
    (NEUROBLASTOMA, "neuroblastoma", {}, Status.UNKNOWN),
    (NEUROBLASTOMA, "stage_4_or_m", {"neuroblastoma_stage": "stage_4_or_m"}, Status.MET),
    (NEUROBLASTOMA, "stage_4_or_m", {"neuroblastoma_stage": "other"}, Status.NOT_MET),
    (NEUROBLASTOMA, "stage_4_or_m", {"neuroblastoma_stage": "unsure"}, Status.UNKNOWN),
    (NEUROBLASTOMA, "stage_4_or_m", {}, Status.UNKNOWN),
]
# The yes/no exclusions: "yes" rules the child out.
for _key in [
    "marrow_failure_syndrome",
    "prior_stem_cell_transplant",
    "medicine_contraindication",
    "steroids_last_4_weeks",
    "other_interventional_study",
]:
    CHOICE_TABLE += [
        (LEUKEMIA, _key, {_key: "yes"}, Status.NOT_MET),
        (LEUKEMIA, _key, {_key: "no"}, Status.MET),
        (LEUKEMIA, _key, {_key: "unsure"}, Status.UNKNOWN),
        (LEUKEMIA, _key, {}, Status.UNKNOWN),
    ]


@pytest.mark.parametrize(
    ("trial", "key", "answers", "expected"),
    CHOICE_TABLE,
    ids=[f"{t.nct_id}-{k}-{a}" for t, k, a, _e in CHOICE_TABLE],
)
def test_answer_rules(trial, key, answers, expected):
    assert status_of(rule(trial, key), answers) == expected


def test_a_refractory_leukemia_is_not_ruled_out_by_any_known_criterion():
    answers = {**LEUKEMIA_FIT, "disease_status": "refractory"}
    assert trial_evaluate(LEUKEMIA, answers, today=TODAY).outcome == Outcome.MAY_QUALIFY


ROUTE = ("induction_courses_7_or_more", "tumour_surgery_done", "complete_response_normal_markers")
ROUTE_TABLE = [
    # (three answers, status, reason)
    (("yes", "yes", "yes"), Status.MET, Reason.ANSWER),
    # A "no": this route does not fit, but other routes are not published, so nothing is ruled out.
    (("no", "yes", "yes"), Status.UNKNOWN, Reason.OTHER_ROUTE),
    (("yes", "no", "yes"), Status.UNKNOWN, Reason.OTHER_ROUTE),
    (("yes", "yes", "no"), Status.UNKNOWN, Reason.OTHER_ROUTE),
    (("no", "no", "no"), Status.UNKNOWN, Reason.OTHER_ROUTE),
    (("no", "unsure", None), Status.UNKNOWN, Reason.OTHER_ROUTE),
    (("yes", "unsure", "yes"), Status.UNKNOWN, Reason.UNSURE),
    (("yes", "yes", None), Status.UNKNOWN, Reason.MISSING),
    ((None, None, None), Status.UNKNOWN, Reason.MISSING),
]


@pytest.mark.parametrize(("given", "expected", "reason"), ROUTE_TABLE)
def test_the_known_route_is_met_only_when_all_three_are_yes_and_never_rules_out(given, expected, reason):
    answers = {key: value for key, value in zip(ROUTE, given, strict=True) if value is not None}
    assert rule_status(rule(NEUROBLASTOMA, "treatment_response"), answers, TODAY)[:2] == (expected, reason)


DIAGNOSED_BEFORE_1 = [
    # (birth, diagnosis, status)
    ("2025-01-15", "2025-01-15", Status.MET),  # diagnosed at birth
    ("2025-01-15", "2026-01-14", Status.MET),  # the day before the first birthday
    ("2025-01-15", "2026-01-15", Status.NOT_MET),  # on the first birthday
    ("2025-01-15", "2026-06-01", Status.NOT_MET),
    ("2024-01-31", "2025-01-30", Status.MET),  # month end
    ("2024-01-31", "2025-01-31", Status.NOT_MET),
    ("2024-12-31", "2025-12-30", Status.MET),  # year end
    ("2024-12-31", "2025-12-31", Status.NOT_MET),
    ("2024-02-29", "2025-02-28", Status.MET),  # leap day: first birthday is 1 March 2025
    ("2024-02-29", "2025-03-01", Status.NOT_MET),
    ("2023-03-01", "2024-02-29", Status.MET),  # diagnosis on a leap day
    ("2023-02-28", "2024-02-27", Status.MET),
    ("2023-02-28", "2024-02-28", Status.NOT_MET),
]


@pytest.mark.parametrize(("birth", "diagnosis", "expected"), DIAGNOSED_BEFORE_1)
def test_diagnosed_before_age_1(birth, diagnosis, expected):
    answers = {"birth_date": D(birth), "diagnosis_date": D(diagnosis)}
    assert status_of(rule(LEUKEMIA, "diagnosed_before_age_1"), answers) == expected


@pytest.mark.parametrize(
    "answers", [{}, {"birth_date": D("2025-01-01")}, {"diagnosis_date": D("2025-06-01")}], ids=["none", "birth", "diag"]
)
def test_diagnosed_before_age_1_needs_both_dates(answers):
    assert rule_status(rule(LEUKEMIA, "diagnosed_before_age_1"), answers, TODAY)[:2] == (Status.UNKNOWN, Reason.MISSING)


AGE_18 = [
    # (birth, today, status)
    ("2008-11-21", "2026-11-21", Status.MET),  # 18 today
    ("2007-11-22", "2026-11-21", Status.MET),  # 18, turns 19 tomorrow
    ("2007-11-21", "2026-11-21", Status.NOT_MET),  # 19 today
    ("2026-11-01", "2026-11-21", Status.MET),  # a baby
    ("2008-02-29", "2027-02-28", Status.MET),  # born on a leap day: 19 only on 1 March
    ("2008-02-29", "2027-03-01", Status.NOT_MET),
    ("2007-12-31", "2026-12-30", Status.MET),
    ("2007-12-31", "2026-12-31", Status.NOT_MET),
]


@pytest.mark.parametrize(("birth", "today", "expected"), AGE_18)
def test_age_18_or_under(birth, today, expected):
    answers = {"birth_date": D(birth)}
    assert status_of(rule(NEUROBLASTOMA, "age_18_or_under"), answers, D(today)) == expected


def test_age_18_or_under_is_unknown_without_a_birth_date():
    assert status_of(rule(NEUROBLASTOMA, "age_18_or_under"), {}) == Status.UNKNOWN


# ---------------------------------------------------------------------------
# Rules from the registry record, in the registry's own units


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18 Years", (18, "years")),
        ("2 Years", (2, "years")),
        ("1 Year", (1, "years")),
        ("6 Months", (6, "months")),
        ("4 Weeks", (4, "weeks")),
        ("28 Days", (28, "days")),
        ("24 Hours", (24, "hours")),
        ("30 Minutes", (30, "minutes")),
        (" 18 years ", (18, "years")),
        ("N/A", None),
        ("", None),
        (None, None),
        ("eighteen", None),
        ("18", None),
    ],
)
def test_registry_ages_are_read_in_their_own_units(text, expected):
    assert registry_age(text) == expected


def test_a_record_gives_a_rule_per_limit_and_none_for_no_limit():
    assert registry_rules(minimum_age="N/A", maximum_age="", sex="ALL") == ()
    assert registry_rules(minimum_age="0 Years", sex="") == ()  # "from birth" limits nothing
    rules = registry_rules(minimum_age="18 Years", maximum_age="65 Years", sex="FEMALE")
    assert [(r.key, r.operator, r.values, r.question, r.source) for r in rules] == [
        ("registry_minimum_age", "age_at_least", (18, "years"), "birth_date", "registry"),
        ("registry_maximum_age", "age_at_most", (65, "years"), "birth_date", "registry"),
        ("registry_sex", "in", ("girl",), "sex", "registry"),
    ]
    assert registry_rules(sex="MALE")[0].values == ("boy",)
    assert all(r.kind == "inclusion" and not r.ask_doctor for r in rules)


REGISTRY_AGE_TABLE = [
    # (minimum, maximum, birth, today, status)
    ("18 Years", "", "2026-02-10", "2026-11-21", Status.NOT_MET),  # an adults-only trial and a baby
    ("18 Years", "", "2008-11-21", "2026-11-21", Status.MET),  # 18 today
    ("18 Years", "", "2008-11-22", "2026-11-21", Status.NOT_MET),  # 18 tomorrow
    ("", "2 Years", "2023-12-22", "2026-11-21", Status.UNKNOWN),  # 2 years 11 months: past "2 years", in whole years 2
    ("", "2 Years", "2023-11-21", "2026-11-21", Status.NOT_MET),  # 3 today
    ("6 Months", "", "2026-05-22", "2026-11-21", Status.NOT_MET),  # 5 months 30 days
    ("6 Months", "", "2026-05-21", "2026-11-21", Status.MET),
    ("", "18 Months", "2025-05-22", "2026-11-21", Status.MET),  # 17 months
    ("", "18 Months", "2025-05-21", "2026-11-21", Status.MET),  # 18 months today
    ("", "18 Months", "2025-04-21", "2026-11-21", Status.NOT_MET),  # 19 months
    ("4 Weeks", "", "2026-10-25", "2026-11-21", Status.NOT_MET),  # 27 days: 3 weeks
    ("4 Weeks", "", "2026-10-24", "2026-11-21", Status.MET),  # 28 days: 4 weeks
    ("", "4 Weeks", "2026-10-18", "2026-11-21", Status.UNKNOWN),  # 34 days: 4 whole weeks, but past 28 days
    ("", "4 Weeks", "2026-10-24", "2026-11-21", Status.MET),  # 28 days: exactly 4 weeks
    ("", "4 Weeks", "2026-10-17", "2026-11-21", Status.NOT_MET),  # 35 days: 5 weeks
    ("28 Days", "", "2026-10-24", "2026-11-21", Status.MET),
    ("28 Days", "", "2026-10-25", "2026-11-21", Status.NOT_MET),
    ("72 Hours", "", "2026-11-21", "2026-11-21", Status.NOT_MET),  # born today: under 24 hours
    ("72 Hours", "", "2026-11-10", "2026-11-21", Status.MET),
    ("24 Hours", "", "2026-11-20", "2026-11-21", Status.UNKNOWN),  # born yesterday: 0 to 48 hours old
    ("", "60 Minutes", "2026-11-19", "2026-11-21", Status.NOT_MET),
]


@pytest.mark.parametrize(("minimum", "maximum", "birth", "today", "expected"), REGISTRY_AGE_TABLE)
def test_registry_age_limits(minimum, maximum, birth, today, expected):
    [limit] = registry_rules(minimum_age=minimum, maximum_age=maximum)
    assert status_of(limit, {"birth_date": D(birth)}, D(today)) == expected


def test_a_registry_age_gives_the_age_for_the_reason():
    [limit] = registry_rules(minimum_age="18 Years")
    status, reason, age = rule_status(limit, {"birth_date": D("2026-02-10")}, TODAY)
    assert (status, reason) == (Status.NOT_MET, Reason.AGE)
    assert (age.months, age.unit) == (9, "years")


@pytest.mark.parametrize(
    ("sex", "answer", "expected"),
    [
        ("FEMALE", "girl", Status.MET),
        ("FEMALE", "boy", Status.NOT_MET),
        ("FEMALE", "unsure", Status.UNKNOWN),
        ("FEMALE", None, Status.UNKNOWN),
        ("MALE", "boy", Status.MET),
        ("MALE", "girl", Status.NOT_MET),
    ],
)
def test_registry_sex(sex, answer, expected):
    [limit] = registry_rules(sex=sex)
    assert status_of(limit, {} if answer is None else {"sex": answer}) == expected


# ---------------------------------------------------------------------------
# Outcomes

LEUKEMIA_FIT = {
    "birth_date": D("2026-02-10"),
    "diagnosis": "all",
    "diagnosis_date": D("2026-09-01"),
    "disease_status": "newly_diagnosed",
    "prior_stem_cell_transplant": "no",
    "steroids_last_4_weeks": "no",
    "marrow_failure_syndrome": "no",
    "medicine_contraindication": "no",
    "other_interventional_study": "no",
    "guardian_consent": "yes",
}
NEUROBLASTOMA_FIT = {
    "birth_date": D("2020-05-05"),
    "diagnosis": "neuroblastoma",
    "neuroblastoma_stage": "stage_4_or_m",
    "induction_courses_7_or_more": "yes",
    "tumour_surgery_done": "yes",
    "complete_response_normal_markers": "yes",
}


def test_a_fitting_infant_may_qualify_for_the_leukemia_trial_only():
    assert trial_evaluate(LEUKEMIA, LEUKEMIA_FIT, today=TODAY).outcome == Outcome.MAY_QUALIFY
    assert trial_evaluate(NEUROBLASTOMA, LEUKEMIA_FIT, today=TODAY).outcome == Outcome.DOES_NOT_QUALIFY


def test_a_child_with_neuroblastoma_who_fits_every_known_rule_still_needs_the_study_team():
    # The trial's other rules are not published: never "may qualify".
    result = trial_evaluate(NEUROBLASTOMA, NEUROBLASTOMA_FIT, today=TODAY)
    assert {r.status for r in result.results} == {Status.MET}
    assert result.outcome == Outcome.NEEDS_MORE_INFORMATION
    assert not result.has_unknown and not result.complete
    assert trial_evaluate(LEUKEMIA, NEUROBLASTOMA_FIT, today=TODAY).outcome == Outcome.DOES_NOT_QUALIFY


def test_a_child_with_neuroblastoma_whose_route_is_not_asked_needs_more_information():
    answers = {key: value for key, value in NEUROBLASTOMA_FIT.items() if key not in ROUTE}
    result = trial_evaluate(NEUROBLASTOMA, answers, today=TODAY)
    assert result.outcome == Outcome.NEEDS_MORE_INFORMATION and result.has_unknown


def test_one_unknown_answer_needs_more_information():
    answers = {**LEUKEMIA_FIT, "steroids_last_4_weeks": "unsure"}
    result = trial_evaluate(LEUKEMIA, answers, today=TODAY)
    assert result.outcome == Outcome.NEEDS_MORE_INFORMATION
    assert [r.rule.key for r in result.results if r.status == Status.UNKNOWN] == ["steroids_last_4_weeks"]


OUTCOME_TABLE = [
    # (statuses of the rules, criteria complete, outcome)
    ((Status.MET, Status.MET), True, Outcome.MAY_QUALIFY),
    ((Status.MET, Status.MET), False, Outcome.NEEDS_MORE_INFORMATION),
    ((Status.MET, Status.UNKNOWN), True, Outcome.NEEDS_MORE_INFORMATION),
    ((Status.MET, Status.UNKNOWN), False, Outcome.NEEDS_MORE_INFORMATION),
    ((Status.NOT_MET, Status.UNKNOWN), True, Outcome.DOES_NOT_QUALIFY),
    ((Status.NOT_MET, Status.MET), False, Outcome.DOES_NOT_QUALIFY),
    ((), True, Outcome.MAY_QUALIFY),
    ((), False, Outcome.NEEDS_MORE_INFORMATION),
]


@pytest.mark.parametrize(("statuses", "complete", "expected"), OUTCOME_TABLE)
def test_outcomes(statuses, complete, expected):
    # One yes/no rule per status: "yes" meets it, "no" does not, no answer leaves it unknown.
    rules, answers = [], {}
    for index, status in enumerate(statuses):
        rules.append(Rule(f"r{index}", "inclusion", f"q{index}", "in", ("yes",)))
        if status != Status.UNKNOWN:
            answers[f"q{index}"] = "yes" if status == Status.MET else "no"
    trial = TrialRules("NCT00000001", tuple(rules), complete=complete)
    assert trial_evaluate(trial, answers, today=TODAY).outcome == expected


def test_a_left_out_question_counts_as_unknown():
    answers = {k: v for k, v in LEUKEMIA_FIT.items() if k != "guardian_consent"}
    assert trial_evaluate(LEUKEMIA, answers, today=TODAY).outcome == Outcome.NEEDS_MORE_INFORMATION


def test_not_met_wins_over_unknown():
    answers = {"diagnosis": "aml"}
    assert trial_evaluate(LEUKEMIA, answers, today=TODAY).outcome == Outcome.DOES_NOT_QUALIFY


def test_no_answers_at_all_needs_more_information():
    for trial in TRIALS.values():
        assert trial_evaluate(trial, {}, today=TODAY).outcome == Outcome.NEEDS_MORE_INFORMATION


def test_trials_with_the_same_rule_share_one_evaluation():
    memo = {}
    twins = [TrialRules(f"NCT0000000{n}", registry_rules(minimum_age="18 Years")) for n in range(3)]
    results = [trial_evaluate(t, {"birth_date": D("2000-01-01")}, today=TODAY, memo=memo) for t in twins]
    assert len(memo) == 1
    assert {r.results[0].status for r in results} == {Status.MET}


# ---------------------------------------------------------------------------
# Reading answers


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        ({"birth_date": "2027-01-01"}, "birth_date", "birth_future"),
        ({"birth_date": "2025-02-30"}, "birth_date", "bad_date"),
        ({"birth_date": "2025/01/01"}, "birth_date", "bad_date"),
        ({"birth_date": "1.1.2025"}, "birth_date", "bad_date"),
        ({"birth_date": "yesterday"}, "birth_date", "bad_date"),
        ({"birth_date": "1850-01-01"}, "birth_date", "too_early"),
        ({"diagnosis_date": "2026-11-22"}, "diagnosis_date", "date_future"),
        ({"birth_date": "2025-05-01", "diagnosis_date": "2025-04-30"}, "diagnosis_date", "before_birth"),
        ({"diagnosis": "leukemia"}, "diagnosis", "bad_value"),
        ({"guardian_consent": "maybe"}, "guardian_consent", "bad_value"),
        ({"neuroblastoma_stage": "all"}, "neuroblastoma_stage", "bad_value"),
    ],
)
def test_bad_answers_are_refused_with_a_message(raw, key, message):
    answers, errors = answers_parse(QUESTIONS, raw, today=TODAY)
    assert errors == {key: [eligibility.MESSAGES[message]]}
    assert key not in answers


def test_good_answers_are_read():
    raw = {"birth_date": "2025-05-01", "diagnosis_date": "2025-05-01", "diagnosis": "unsure", "guardian_consent": "yes"}
    answers, errors = answers_parse(QUESTIONS, raw, today=TODAY)
    assert errors == {}
    assert answers == {
        "birth_date": D("2025-05-01"),
        "diagnosis_date": D("2025-05-01"),
        "diagnosis": "unsure",
        "guardian_consent": "yes",
    }


def test_unknown_keys_are_ignored_here():
    # The API's form refuses them; the engine only reads the questions it knows.
    assert answers_parse(QUESTIONS, {"shoe_size": "3"}, today=TODAY) == ({}, {})


def test_empty_answers_are_left_out():
    assert answers_parse(QUESTIONS, {"birth_date": "", "diagnosis": "  ", "guardian_consent": None}, today=TODAY) == (
        {},
        {},
    )


# ---------------------------------------------------------------------------
# Which questions are asked


def visible(answers):
    return [q.key for q in eligibility.visible_questions(QUESTIONS, answers)]


def test_a_child_with_leukemia_is_not_asked_the_neuroblastoma_stage():
    keys = visible({"diagnosis": "all"})
    assert "neuroblastoma_stage" not in keys
    assert {"diagnosis_date", "disease_status", "steroids_last_4_weeks", "guardian_consent"} <= set(keys)


def test_a_child_with_neuroblastoma_is_not_asked_the_leukemia_questions():
    assert visible({"diagnosis": "neuroblastoma"}) == ["birth_date", "diagnosis", "sex", "neuroblastoma_stage", *ROUTE]


def test_not_sure_asks_everything_but_the_neuroblastoma_route():
    assert visible({}) == [q.key for q in QUESTIONS]
    assert visible({"diagnosis": "unsure"}) == [q.key for q in QUESTIONS if q.key not in ROUTE]


def test_answers_to_questions_no_longer_asked_are_dropped():
    answers = {"diagnosis": "all", "neuroblastoma_stage": "stage_4_or_m"}
    assert eligibility.visible_answers(QUESTIONS, answers) == {"diagnosis": "all"}


def test_a_trial_asks_only_its_own_questions_and_their_parents():
    keys = [q.key for q in eligibility.questions_for(QUESTIONS, [NEUROBLASTOMA])]
    assert keys == ["birth_date", "diagnosis", "neuroblastoma_stage", *ROUTE]
    # The sex question is asked only when a trial is for girls only or boys only.
    both = [q.key for q in eligibility.questions_for(QUESTIONS, [LEUKEMIA, NEUROBLASTOMA])]
    assert both == [q.key for q in QUESTIONS if q.key != "sex"]
    girls = TrialRules("NCT00000002", registry_rules(sex="FEMALE"))
    assert [q.key for q in eligibility.questions_for(QUESTIONS, [girls])] == ["sex"]


# ---------------------------------------------------------------------------
# Rules that staff write


@pytest.mark.parametrize(
    ("question", "operator", "values", "field"),
    [
        ("diagnosis", "in", ["leukaemia"], "values"),
        ("diagnosis", "in", ["unsure"], "values"),
        ("diagnosis", "in", [], "values"),
        ("diagnosis", "in", "all", "values"),
        ("guardian_consent", "in", ["true"], "values"),
        ("diagnosis", "", ["all"], "operator"),
        ("diagnosis", "between", ["all"], "operator"),
        ("birth_date", "in", ["2020-01-01"], "question"),
        ("diagnosis", "age_at_most_years", [18], "question"),
        ("diagnosis_date", "age_at_most_years", [18], "question"),
        ("birth_date", "diagnosed_before_age_months", [12], "question"),
        ("diagnosis_date", "diagnosed_before_age_months", ["twelve"], "values"),
        ("diagnosis_date", "diagnosed_before_age_months", [12, 24], "values"),
        ("diagnosis_date", "diagnosed_before_age_months", [-1], "values"),
    ],
)
def test_unsound_rules_are_refused(question, operator, values, field):
    problems = rule_problems(question=BY_KEY[question], operator=operator, values=values)
    assert list(problems) == [field]
    assert problems[field]


@pytest.mark.parametrize(
    ("question", "values", "kind", "field"),
    [
        ("induction_courses_7_or_more", ["shoe_size"], "inclusion", "values"),
        ("induction_courses_7_or_more", ["diagnosis"], "inclusion", "values"),  # not a yes/no question
        ("induction_courses_7_or_more", ["induction_courses_7_or_more"], "inclusion", "values"),
        ("induction_courses_7_or_more", "tumour_surgery_done", "inclusion", "values"),
        ("diagnosis", ["tumour_surgery_done"], "inclusion", "question"),
        ("induction_courses_7_or_more", ["tumour_surgery_done"], "exclusion", "operator"),
    ],
)
def test_unsound_routes_are_refused(question, values, kind, field):
    problems = rule_problems(question=BY_KEY[question], operator="all_yes", values=values, kind=kind, others=BY_KEY)
    assert list(problems) == [field]


def test_registry_comparisons_are_not_for_staff():
    problems = rule_problems(question=BY_KEY["birth_date"], operator="age_at_least", values=[18, "years"])
    assert list(problems) == ["operator"]


def test_a_rule_naming_an_unknown_question_is_refused():
    problems = rule_problems(question=None, question_key="shoe_size", operator="in", values=["3"])
    assert "shoe_size" in str(problems["question"])


# ---------------------------------------------------------------------------
# Properties

dates = st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2030, 12, 31))
choice_questions = [q for q in QUESTIONS if q.kind != "date"]


@st.composite
def answer_sets(draw):
    """Any mix of answers, including left-out questions and "not sure"."""
    answers = {}
    for question in choice_questions:
        value = draw(st.sampled_from([None, *question.allowed_values()]))
        if value is not None:
            answers[question.key] = value
    birth = draw(st.none() | dates)
    if birth is not None:
        answers["birth_date"] = birth
        diagnosis = draw(st.none() | st.dates(min_value=birth, max_value=birth + datetime.timedelta(days=800)))
        if diagnosis is not None:
            answers["diagnosis_date"] = diagnosis
    return answers


def unsure(answers: dict, key: str) -> dict:
    """The same answers with `key` changed to "not sure" (a date can only be left out)."""
    changed = dict(answers)
    if BY_KEY[key].kind == "date":
        changed.pop(key, None)
    else:
        changed[key] = eligibility.UNSURE
    return changed


REGISTRY_AGES = ["", "N/A", "0 Years", "18 Years", "2 Years", "6 Months", "18 Months", "4 Weeks", "28 Days", "24 Hours"]
registry_sets = st.builds(
    registry_rules,
    minimum_age=st.sampled_from(REGISTRY_AGES),
    maximum_age=st.sampled_from(REGISTRY_AGES),
    sex=st.sampled_from(["", "ALL", "FEMALE", "MALE"]),
)


@st.composite
def any_trials(draw):
    """A shipped trial's rules, with any registry rules and either completeness."""
    base = draw(st.sampled_from(list(TRIALS.values())))
    return TrialRules(base.nct_id, draw(registry_sets) + base.rules, complete=draw(st.booleans()))


all_rules = [(trial, r) for trial in TRIALS.values() for r in trial.checked]
RANK = {outcome: index for index, outcome in enumerate(eligibility.OUTCOME_ORDER)}


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets(), index=st.integers(min_value=0, max_value=len(all_rules) - 1), today=dates)
def test_not_sure_never_makes_a_rule_met(answers, index, today):
    _trial, r = all_rules[index]
    for key in r.reads:
        assert status_of(r, unsure(answers, key), today) != Status.MET


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets(), trial=any_trials(), today=dates)
def test_a_trial_whose_criteria_are_not_complete_never_may_qualify(answers, trial, today):
    incomplete = TrialRules(trial.nct_id, trial.rules, complete=False)
    assert trial_evaluate(incomplete, answers, today=today).outcome != Outcome.MAY_QUALIFY


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets(), base=st.sampled_from(list(TRIALS.values())), extra=registry_sets, today=dates)
def test_adding_a_registry_rule_never_turns_a_not_met_criterion_into_met(answers, base, extra, today):
    before = trial_evaluate(base, answers, today=today)
    after = trial_evaluate(TrialRules(base.nct_id, extra + base.rules, complete=base.complete), answers, today=today)
    statuses = {r.rule.key: r.status for r in after.results}
    for found in before.results:
        assert statuses[found.rule.key] == found.status
    # And the outcome can only stay or get worse.
    assert RANK[after.outcome] >= RANK[before.outcome]


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets(), key=st.sampled_from([q.key for q in QUESTIONS]), trial=any_trials(), today=dates)
def test_changing_one_answer_to_not_sure_never_turns_does_not_qualify_into_may_qualify(answers, key, trial, today):
    before = trial_evaluate(trial, answers, today=today).outcome
    after = trial_evaluate(trial, unsure(answers, key), today=today).outcome
    if before == Outcome.DOES_NOT_QUALIFY:
        assert after != Outcome.MAY_QUALIFY
    if key in trial.question_keys() and key in answers:
        # An answer a rule reads, made unsure, can never leave "may qualify" standing.
        assert after != Outcome.MAY_QUALIFY


@settings(max_examples=500, deadline=None)
@given(birth=dates, months=st.integers(min_value=0, max_value=300))
def test_a_child_is_n_months_old_from_the_nth_anniversary_and_not_a_day_before(birth, months):
    day = anniversary(birth, months)
    assert age_in_months(birth, day) == months
    assert age_in_months(birth, day - datetime.timedelta(days=1)) == months - 1
    # The anniversary is the same day number, or the 1st of the next month where that day does not exist.
    assert day.day == birth.day or (day.day == 1 and birth.day > 28)


@settings(max_examples=500, deadline=None)
@given(three=st.lists(dates, min_size=3, max_size=3))
def test_age_never_goes_down(three):
    birth, first, second = sorted(three)
    assert age_in_months(birth, first) <= age_in_months(birth, second)
    assert age_in_years(birth, first) <= age_in_years(birth, second)


@settings(max_examples=500, deadline=None)
@given(birth=dates, days=st.integers(min_value=0, max_value=800))
def test_diagnosed_before_age_1_means_before_the_first_birthday(birth, days):
    diagnosis = birth + datetime.timedelta(days=days)
    answers = {"birth_date": birth, "diagnosis_date": diagnosis}
    status = status_of(rule(LEUKEMIA, "diagnosed_before_age_1"), answers)
    assert (status == Status.MET) == (diagnosis < first_birthday(birth))


@settings(max_examples=300, deadline=None)
@given(year=st.sampled_from([y for y in range(1992, 2030) if y % 4 == 0]))
def test_a_leap_day_baby_has_birthdays_on_1_march_in_common_years(year):
    birth = datetime.date(year, 2, 29)
    assert first_birthday(birth) == datetime.date(year + 1, 3, 1)
    assert anniversary(birth, 48) == datetime.date(year + 4, 2, 29)
    assert age_in_years(birth, datetime.date(year + 1, 2, 28)) == 0
    assert age_in_years(birth, datetime.date(year + 1, 3, 1)) == 1


@pytest.mark.parametrize(
    ("birth", "status", "reason"),
    [
        ("2024-11-21", "met", "age"),  # exactly 2 years old today: "2 Years" includes the birthday
        ("2024-11-20", "unknown", "age_past_limit"),  # a day past: whole years say 2, the exact age says more
        ("2023-12-22", "unknown", "age_past_limit"),  # 2 years and 11 months: not rounded down to "2 years"
        ("2023-11-21", "not_met", "age"),  # 3 years
    ],
)
def test_a_registry_upper_age_is_never_rounded_down_for_a_child_past_it(birth, status, reason):
    """ "2 Years": a child of 35 months is neither plainly in nor plainly out; only the study team can say."""
    (limit,) = registry_rules(maximum_age="2 Years")
    found = rule_status(limit, {"birth_date": D(birth)}, TODAY)
    assert (found[0], found[1]) == (status, reason)
