"""The rule engine, over the shipped question bank and criteria (read from the YAML files, no database)."""

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
    Rule,
    Status,
    TrialRules,
    age_in_months,
    age_in_years,
    anniversary,
    answers_parse,
    first_birthday,
    rule_evaluate,
    rule_problems,
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
                )
                for item in items
            ),
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


# ---------------------------------------------------------------------------
# The shipped data


def test_question_bank_has_exactly_the_agreed_keys_and_values():
    assert [q.key for q in QUESTIONS] == [
        "birth_date",
        "diagnosis",
        "diagnosis_date",
        "disease_status",
        "neuroblastoma_stage",
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
    yes_no = {q.key for q in QUESTIONS if q.kind == "yes_no"}
    assert yes_no == {
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
            assert rule_problems(question=BY_KEY[r.question], operator=r.operator, values=list(r.values)) == {}, r


def test_the_neuroblastoma_trial_leaves_treatment_history_to_the_study_team():
    unchecked = NEUROBLASTOMA.unchecked
    assert [r.key for r in unchecked] == ["treatment_response"]
    assert {r.key for r in NEUROBLASTOMA.checked} == {"age_18_or_under", "neuroblastoma", "stage_4_or_m"}


def test_the_leukemia_trial_encodes_every_listed_criterion():
    inclusions = {r.key for r in LEUKEMIA.rules if r.kind == "inclusion"}
    exclusions = {r.key for r in LEUKEMIA.rules if r.kind == "exclusion"}
    assert inclusions == {"diagnosed_before_age_1", "all_or_lymphoid_alal", "newly_diagnosed", "guardian_consent"}
    assert exclusions == {
        "burkitt_or_mature_b",
        "marrow_failure_syndrome",
        "prior_stem_cell_transplant",
        "relapsed",
        "medicine_contraindication",
        "steroids_last_4_weeks",
        "other_interventional_study",
    }
    assert not LEUKEMIA.unchecked


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
    (LEUKEMIA, "newly_diagnosed", {"disease_status": "newly_diagnosed"}, Status.MET),
    (LEUKEMIA, "newly_diagnosed", {"disease_status": "relapsed"}, Status.NOT_MET),
    (LEUKEMIA, "newly_diagnosed", {"disease_status": "refractory"}, Status.NOT_MET),
    (LEUKEMIA, "newly_diagnosed", {"disease_status": "unsure"}, Status.UNKNOWN),
    (LEUKEMIA, "newly_diagnosed", {}, Status.UNKNOWN),
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
    assert rule_evaluate(rule(trial, key), answers, today=TODAY).status == expected


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
    assert rule_evaluate(rule(LEUKEMIA, "diagnosed_before_age_1"), answers, today=TODAY).status == expected


@pytest.mark.parametrize(
    "answers", [{}, {"birth_date": D("2025-01-01")}, {"diagnosis_date": D("2025-06-01")}], ids=["none", "birth", "diag"]
)
def test_diagnosed_before_age_1_needs_both_dates(answers):
    result = rule_evaluate(rule(LEUKEMIA, "diagnosed_before_age_1"), answers, today=TODAY)
    assert result.status == Status.UNKNOWN
    assert result.reason == eligibility.Reason.MISSING


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
    assert rule_evaluate(rule(NEUROBLASTOMA, "age_18_or_under"), answers, today=D(today)).status == expected


def test_age_18_or_under_is_unknown_without_a_birth_date():
    assert rule_evaluate(rule(NEUROBLASTOMA, "age_18_or_under"), {}, today=TODAY).status == Status.UNKNOWN


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
NEUROBLASTOMA_FIT = {"birth_date": D("2020-05-05"), "diagnosis": "neuroblastoma", "neuroblastoma_stage": "stage_4_or_m"}


def test_a_fitting_infant_may_qualify_for_the_leukemia_trial_only():
    assert trial_evaluate(LEUKEMIA, LEUKEMIA_FIT, today=TODAY).outcome == Outcome.MAY_QUALIFY
    assert trial_evaluate(NEUROBLASTOMA, LEUKEMIA_FIT, today=TODAY).outcome == Outcome.DOES_NOT_QUALIFY


def test_a_fitting_child_with_neuroblastoma_may_qualify_and_the_rest_is_left_to_the_study_team():
    result = trial_evaluate(NEUROBLASTOMA, NEUROBLASTOMA_FIT, today=TODAY)
    assert result.outcome == Outcome.MAY_QUALIFY
    assert [r.key for r in result.unchecked] == ["treatment_response"]
    assert trial_evaluate(LEUKEMIA, NEUROBLASTOMA_FIT, today=TODAY).outcome == Outcome.DOES_NOT_QUALIFY


def test_one_unknown_answer_needs_more_information():
    answers = {**LEUKEMIA_FIT, "steroids_last_4_weeks": "unsure"}
    result = trial_evaluate(LEUKEMIA, answers, today=TODAY)
    assert result.outcome == Outcome.NEEDS_MORE_INFORMATION
    assert result.unknown_keys() == ["steroids_last_4_weeks"]


def test_a_left_out_question_counts_as_unknown():
    answers = {k: v for k, v in LEUKEMIA_FIT.items() if k != "guardian_consent"}
    assert trial_evaluate(LEUKEMIA, answers, today=TODAY).outcome == Outcome.NEEDS_MORE_INFORMATION


def test_not_met_wins_over_unknown():
    answers = {"diagnosis": "aml"}
    assert trial_evaluate(LEUKEMIA, answers, today=TODAY).outcome == Outcome.DOES_NOT_QUALIFY


def test_no_answers_at_all_needs_more_information():
    for trial in TRIALS.values():
        assert trial_evaluate(trial, {}, today=TODAY).outcome == Outcome.NEEDS_MORE_INFORMATION


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


def test_unknown_keys_are_errors_only_when_strict():
    assert answers_parse(QUESTIONS, {"shoe_size": "3"}, today=TODAY) == ({}, {})
    assert answers_parse(QUESTIONS, {"shoe_size": "3"}, today=TODAY, strict_keys=True)[1] == {
        "shoe_size": [eligibility.MESSAGES["unknown_key"]]
    }


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
    assert visible({"diagnosis": "neuroblastoma"}) == ["birth_date", "diagnosis", "neuroblastoma_stage"]


def test_not_sure_or_no_diagnosis_asks_everything():
    assert visible({"diagnosis": "unsure"}) == visible({}) == [q.key for q in QUESTIONS]


def test_answers_to_questions_no_longer_asked_are_dropped():
    answers = {"diagnosis": "all", "neuroblastoma_stage": "stage_4_or_m"}
    assert eligibility.visible_answers(QUESTIONS, answers) == {"diagnosis": "all"}


def test_a_trial_asks_only_its_own_questions_and_their_parents():
    keys = [q.key for q in eligibility.questions_for(QUESTIONS, [NEUROBLASTOMA])]
    assert keys == ["birth_date", "diagnosis", "neuroblastoma_stage"]
    assert len(eligibility.questions_for(QUESTIONS, [LEUKEMIA, NEUROBLASTOMA])) == len(QUESTIONS)


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


all_rules = [(trial, r) for trial in TRIALS.values() for r in trial.checked]


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets(), index=st.integers(min_value=0, max_value=len(all_rules) - 1), today=dates)
def test_not_sure_never_makes_a_rule_met(answers, index, today):
    _trial, r = all_rules[index]
    for key in r.reads:
        assert rule_evaluate(r, unsure(answers, key), today=today).status == Status.UNKNOWN


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets(), key=st.sampled_from([q.key for q in QUESTIONS]), today=dates)
def test_changing_one_answer_to_not_sure_never_turns_does_not_qualify_into_may_qualify(answers, key, today):
    for trial in TRIALS.values():
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
    status = rule_evaluate(rule(LEUKEMIA, "diagnosed_before_age_1"), answers, today=TODAY).status
    assert (status == Status.MET) == (diagnosis < first_birthday(birth))


@settings(max_examples=300, deadline=None)
@given(year=st.sampled_from([y for y in range(1992, 2030) if y % 4 == 0]))
def test_a_leap_day_baby_has_birthdays_on_1_march_in_common_years(year):
    birth = datetime.date(year, 2, 29)
    assert first_birthday(birth) == datetime.date(year + 1, 3, 1)
    assert anniversary(birth, 48) == datetime.date(year + 4, 2, 29)
    assert age_in_years(birth, datetime.date(year + 1, 2, 28)) == 0
    assert age_in_years(birth, datetime.date(year + 1, 3, 1)) == 1
