"""The screening module: which trials are screened, their registry rules, what a result says,
and the questions it gives for the child's doctor. Registry records are built in code."""

import datetime
import importlib
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from trials import eligibility, screening
from trials.eligibility import Outcome
from trials.models import Criterion, Question, Trial
from trials.screening import long_date, may_enrol, screening_bank
from trials.tests.answers import LEUKEMIA_FIT, NEUROBLASTOMA_FIT, TODAY
from trials.tests.records import (
    ADULTS_ONLY,
    GIRLS_ONLY,
    INFANTS_IN_MONTHS,
    NEWBORNS_IN_WEEKS,
    TERMINATED,
    WITHDRAWN,
    import_records,
    study_record,
)

D = datetime.date.fromisoformat


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def parsed(raw: dict) -> dict:
    bank = screening_bank()
    answers, errors = eligibility.answers_parse(bank.specs, raw, today=TODAY)
    assert errors == {}
    return eligibility.visible_answers(bank.specs, answers)


def found_for(raw: dict, nct_ids=None):
    bank = screening_bank()
    if nct_ids is not None:
        bank = bank.only(nct_ids)
    return screening.screen(bank, parsed(raw), today=TODAY)


def by_trial(found) -> dict:
    return {item.trial.nct_id: item for item in found.trials}


def doctor(found) -> list[str]:
    return [str(said) for said in found.doctor_questions]


def question(key: str) -> str:
    return Question.objects.get(key=key).doctor_question


# ---------------------------------------------------------------------------
# Which trials are screened


@pytest.mark.parametrize(
    ("status", "screened"),
    [
        ("RECRUITING", True),
        ("NOT_YET_RECRUITING", True),
        ("ENROLLING_BY_INVITATION", True),
        ("UNKNOWN", True),
        ("AVAILABLE", True),
        ("A_STATUS_ADDED_NEXT_YEAR", True),  # not known to be closed: screened, never silently dropped
        ("", True),
        ("ACTIVE_NOT_RECRUITING", False),
        ("COMPLETED", False),
        ("TERMINATED", False),
        ("WITHDRAWN", False),
        ("SUSPENDED", False),
        ("NO_LONGER_AVAILABLE", False),
        ("TEMPORARILY_NOT_AVAILABLE", False),
        ("APPROVED_FOR_MARKETING", False),
        ("WITHHELD", False),
        ("withdrawn", False),
    ],
)
def test_only_trials_that_may_still_enrol_are_screened(status, screened):
    assert may_enrol(status) is screened


@pytest.mark.django_db
def test_closed_trials_are_left_out_and_said_so_in_one_line(trials_data):
    import_records(WITHDRAWN, TERMINATED, ADULTS_ONLY)
    bank = screening_bank()
    assert {s.trial.nct_id for s in bank.trials} == {"NCT06516679", "NCT05303727", "NCT09000001"}
    assert {t.nct_id for t in bank.closed} == {"NCT09000002", "NCT09000003"}
    found = found_for(LEUKEMIA_FIT)
    assert "NCT09000002" not in by_trial(found)
    assert found.left_out_text == (
        "2 trials were left out because they no longer take new children: Withdrawn (1), Terminated (1)."
    )


@pytest.mark.django_db
def test_an_unknown_status_string_is_screened_and_an_unpublished_trial_is_not(trials_data):
    [new_status, hidden] = import_records(study_record("NCT09000010"), study_record("NCT09000011"))
    new_status.overall_status = "A_STATUS_ADDED_NEXT_YEAR"
    new_status.save()
    hidden.is_published = False
    hidden.save()
    bank = screening_bank()
    assert "NCT09000010" in {s.trial.nct_id for s in bank.trials}
    assert "NCT09000011" not in bank.nct_ids


# ---------------------------------------------------------------------------
# Registry rules, for every trial


@pytest.mark.django_db
def test_every_trial_gets_the_rules_of_its_registry_record(trials_data):
    import_records(ADULTS_ONLY, INFANTS_IN_MONTHS, NEWBORNS_IN_WEEKS, GIRLS_ONLY)
    rules = {
        s.trial.nct_id: [(r.key, r.values) for r in s.rules.rules if r.source == "registry"]
        for s in screening_bank().trials
    }
    assert rules["NCT09000001"] == [("registry_minimum_age", (18, "years"))]
    assert rules["NCT09000004"] == [("registry_minimum_age", (6, "months")), ("registry_maximum_age", (21, "months"))]
    assert rules["NCT09000005"] == [("registry_maximum_age", (4, "weeks"))]
    assert rules["NCT09000006"] == [("registry_maximum_age", (25, "years")), ("registry_sex", ("girl",))]
    # The shipped records: "2 Years" for the infant trial (a copy's figure), "18 Years" for the other.
    assert rules["NCT06516679"] == [("registry_maximum_age", (2, "years"))]
    assert rules["NCT05303727"] == [("registry_maximum_age", (18, "years"))]


@pytest.mark.django_db
def test_registry_rules_are_shown_beside_the_staff_rules_with_the_childs_age(trials_data):
    import_records(ADULTS_ONLY)
    item = by_trial(found_for(LEUKEMIA_FIT))["NCT09000001"]
    [line] = item.lines
    assert line.from_registry
    assert (line.status_label, str(line.text), line.reason) == (
        "Does not fit",
        "Age 18 years or older (from the registry)",
        "Your child is 9 months old.",
    )
    assert item.outcome == Outcome.DOES_NOT_QUALIFY
    leukemia = by_trial(found_for(LEUKEMIA_FIT))["NCT06516679"]
    assert [str(line.text) for line in leukemia.lines if line.from_registry] == [
        "Age 2 years or younger (from copies of the registry record)"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("birth_date", "infants", "newborns"),
    [
        ("2026-05-21", "met", "not_met"),  # 6 months today
        ("2026-05-22", "not_met", "not_met"),  # 5 months and 30 days
        ("2025-02-21", "met", "not_met"),  # 21 months today
        ("2025-01-21", "not_met", "not_met"),  # 22 months
        ("2026-10-18", "not_met", "unknown"),  # 34 days: 4 whole weeks, but past 28 days: the team says
        ("2026-10-24", "not_met", "met"),  # 28 days: exactly 4 weeks
        ("2026-10-17", "not_met", "not_met"),  # 35 days: 5 weeks
    ],
)
def test_ages_are_counted_in_the_registrys_own_units(trials_data, birth_date, infants, newborns):
    import_records(INFANTS_IN_MONTHS, NEWBORNS_IN_WEEKS)
    found = by_trial(found_for({"birth_date": birth_date}))
    assert {line.rule.key: line.status for line in found["NCT09000004"].lines} == {
        "registry_minimum_age": "met" if birth_date <= "2026-05-21" else "not_met",
        "registry_maximum_age": "met" if birth_date >= "2025-02-21" else "not_met",
    }
    assert {
        "NCT09000004": "met" if all(line.status == "met" for line in found["NCT09000004"].lines) else "not_met",
        "NCT09000005": found["NCT09000005"].lines[0].status,
    } == {"NCT09000004": infants, "NCT09000005": newborns}


@pytest.mark.django_db
def test_the_sex_question_is_asked_only_when_a_screened_trial_takes_one_sex(trials_data):
    assert "sex" not in {spec.key for spec in screening_bank().scope}
    import_records(GIRLS_ONLY)
    assert "sex" in {spec.key for spec in screening_bank().scope}
    boy = by_trial(found_for({**LEUKEMIA_FIT, "sex": "boy"}))["NCT09000006"]
    assert boy.outcome == Outcome.DOES_NOT_QUALIFY
    assert [str(line.text) for line in boy.ruled_out_by] == ["Girls only (from the registry)"]
    unsure = by_trial(found_for({**LEUKEMIA_FIT, "sex": "unsure"}))["NCT09000006"]
    assert unsure.outcome == Outcome.NEEDS_MORE_INFORMATION
    assert question("sex") in [str(s) for s in unsure.doctor_questions]


# ---------------------------------------------------------------------------
# Outcomes and what they say


@pytest.mark.django_db
def test_an_imported_trial_with_no_encoded_rules_never_says_may_qualify(trials_data):
    [lung] = import_records(ADULTS_ONLY)
    adult = {"birth_date": "1980-01-01"}
    item = by_trial(found_for(adult))["NCT09000001"]
    assert item.outcome == Outcome.NEEDS_MORE_INFORMATION
    assert item.explanation == (
        "Your answers fit every rule we know. Some of this trial's rules are not published, and only the study "
        "team can check them."
    )
    lung.criteria_complete = True  # staff have encoded and checked every criterion
    lung.save()
    assert by_trial(found_for(adult))["NCT09000001"].outcome == Outcome.MAY_QUALIFY


@pytest.mark.django_db
def test_the_two_kinds_of_more_information_are_told_apart(trials_data):
    unknown = by_trial(found_for({**LEUKEMIA_FIT, "steroids_last_4_weeks": "unsure"}))["NCT06516679"]
    assert unknown.explanation == "Some answers are not known yet. Nothing rules your child out so far."
    unpublished = by_trial(found_for(NEUROBLASTOMA_FIT))["NCT05303727"]
    assert unpublished.outcome == Outcome.NEEDS_MORE_INFORMATION
    assert unpublished.explanation.startswith("Your answers fit every rule we know.")
    both = by_trial(found_for({**NEUROBLASTOMA_FIT, "tumour_surgery_done": "unsure"}))["NCT05303727"]
    assert both.explanation.startswith("Some answers are not known yet, and some of this trial's rules are not")


@pytest.mark.django_db
def test_results_come_best_first(trials_data):
    import_records(ADULTS_ONLY, INFANTS_IN_MONTHS)
    infant_trial = Trial.objects.get(nct_id="NCT09000004")
    infant_trial.criteria_complete = True
    infant_trial.save()
    found = found_for({**LEUKEMIA_FIT, "marrow_failure_syndrome": "unsure"})
    # Within an outcome, the trials keep the site's own order (imported trials come after the site's own).
    assert [(item.trial.nct_id, item.outcome) for item in found.trials] == [
        ("NCT09000004", "may_qualify"),
        ("NCT06516679", "needs_more_information"),
        ("NCT05303727", "does_not_qualify"),
        ("NCT09000001", "does_not_qualify"),
    ]
    assert [item.trial.nct_id for item in found.fitting] == ["NCT09000004", "NCT06516679"]
    assert [item.trial.nct_id for item in found.not_fitting] == ["NCT05303727", "NCT09000001"]


@pytest.mark.django_db
def test_what_rules_a_child_out_is_listed_first(trials_data):
    item = by_trial(found_for({**LEUKEMIA_FIT, "steroids_last_4_weeks": "yes", "guardian_consent": "unsure"}))[
        "NCT06516679"
    ]
    assert [line.status for line in item.lines][:2] == ["not_met", "unknown"]
    assert [line.rule.key for line in item.ruled_out_by] == ["steroids_last_4_weeks"]


# ---------------------------------------------------------------------------
# Questions for the doctor


@pytest.mark.django_db
def test_a_baby_ruled_out_by_steroids_gets_the_steroid_question_and_the_other_unknowns(trials_data):
    # Journeys 1.3: steroids "yes" and the medicine question "not sure".
    answers = {**LEUKEMIA_FIT, "steroids_last_4_weeks": "yes", "medicine_contraindication": "unsure"}
    found = found_for(answers, ["NCT06516679"])
    assert found.trials[0].outcome == Outcome.DOES_NOT_QUALIFY
    assert doctor(found) == [question("steroids_last_4_weeks"), question("medicine_contraindication")]
    assert "by injection" in doctor(found)[0] and "which days" in doctor(found)[0]


@pytest.mark.django_db
def test_a_baby_ruled_out_by_an_answer_the_guardian_surely_knows_gets_no_questions_from_that_trial(trials_data):
    answers = {**LEUKEMIA_FIT, "guardian_consent": "no", "steroids_last_4_weeks": "unsure"}
    assert doctor(found_for(answers, ["NCT06516679"])) == []


@pytest.mark.django_db
def test_unknowns_and_study_team_checks_become_doctor_questions(trials_data):
    answers = {**LEUKEMIA_FIT, "marrow_failure_syndrome": "unsure"}
    answers.pop("guardian_consent")
    newly_diagnosed = Criterion.objects.get(key="newly_diagnosed").doctor_question
    assert doctor(found_for(answers, ["NCT06516679"])) == [
        question("marrow_failure_syndrome"),
        question("guardian_consent"),
        newly_diagnosed,
    ]
    # A baby who fits every rule still takes the study team's check to the doctor.
    assert doctor(found_for(LEUKEMIA_FIT, ["NCT06516679"])) == [newly_diagnosed]


@pytest.mark.django_db
def test_a_child_with_neuroblastoma_takes_the_route_and_the_unpublished_rules_to_the_doctor(trials_data):
    unpublished = (
        "Some rules of study NCT05303727 are not published. Could you ask its study team whether my child fits them?"
    )
    assert doctor(found_for(NEUROBLASTOMA_FIT, ["NCT05303727"])) == [unpublished]
    six_courses = {**NEUROBLASTOMA_FIT, "induction_courses_7_or_more": "no"}
    route = Criterion.objects.get(key="treatment_response").doctor_question
    assert doctor(found_for(six_courses, ["NCT05303727"])) == [route, unpublished]
    not_sure = {**NEUROBLASTOMA_FIT, "complete_response_normal_markers": "unsure"}
    assert doctor(found_for(not_sure, ["NCT05303727"])) == [question("complete_response_normal_markers"), unpublished]


@pytest.mark.django_db
def test_a_trial_for_another_illness_adds_no_questions_it_never_asked(trials_data):
    # A baby with neuroblastoma is not asked the leukemia questions; their rules stay unknown
    # but are not the doctor's business.
    baby = {**NEUROBLASTOMA_FIT, "birth_date": "2026-03-01"}
    found = found_for(baby)
    keys = {said.obj.key for said in found.doctor_questions if said.is_question}
    assert keys.isdisjoint({"steroids_last_4_weeks", "marrow_failure_syndrome", "guardian_consent"})


@pytest.mark.django_db
def test_no_answers_at_all_asks_the_doctor_about_each_question(trials_data):
    found = found_for({}, ["NCT05303727"])
    assert doctor(found)[:3] == [question("birth_date"), question("diagnosis"), question("neuroblastoma_stage")]


# ---------------------------------------------------------------------------
# Words


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "25 April 2026"), ("ko", "2026년 4월 25일"), ("zh-hans", "2026年4月25日")]
)
def test_dates_are_in_each_languages_long_form(language, expected):
    with translation.override(language):
        assert long_date(D("2026-04-25")) == expected


@pytest.mark.django_db
def test_the_summary_for_a_study_team_starts_with_its_result_and_dates_are_long(trials_data):
    found = found_for({**LEUKEMIA_FIT, "steroids_last_4_weeks": "unsure"})
    leukemia = by_trial(found)["NCT06516679"]
    lines = leukemia.summary.splitlines()
    assert lines[0] == "What TrialFinder found for NCT06516679 on 21 November 2026: more information needed."
    assert "What is your child's date of birth? 10 February 2026" in lines
    assert not re.search(r"\d{4}-\d{2}-\d{2}", leukemia.summary)


# ---------------------------------------------------------------------------
# The bank


@pytest.mark.django_db
def test_the_bank_is_built_once_and_again_after_a_content_change(trials_data):
    first = screening_bank()
    with CaptureQueriesContext(connection) as queries:
        assert screening_bank() is first
    assert len(queries) == 0
    criterion = Criterion.objects.get(key="guardian_consent")
    criterion.values = ["no"]
    criterion.save()
    assert screening_bank() is not first


@pytest.mark.django_db
def test_loading_the_bank_takes_the_same_queries_for_many_trials(trials_data):
    with CaptureQueriesContext(connection) as few:
        screening.bank_load()
    import_records(*[study_record(f"NCT0910{n:04d}", minimum_age="1 Year") for n in range(30)])
    with CaptureQueriesContext(connection) as many:
        bank = screening.bank_load()
    assert len(bank.trials) == 32
    assert len(many) == len(few)


# ---------------------------------------------------------------------------
# The shipped content, and databases loaded before these fixes


@pytest.mark.django_db
def test_only_the_leukemia_trial_ships_with_complete_criteria_and_staff_keep_the_last_word(trials_data):
    complete = dict(Trial.objects.values_list("nct_id", "criteria_complete"))
    assert complete == {"NCT06516679": True, "NCT05303727": False}
    Trial.objects.filter(nct_id="NCT06516679").update(criteria_complete=False)
    call_command("load_content", verbosity=0)
    assert not Trial.objects.get(nct_id="NCT06516679").criteria_complete


@pytest.mark.django_db
def test_a_rule_the_study_team_checked_gets_its_questions_when_the_content_is_loaded_again(trials_data):
    Criterion.objects.filter(key="treatment_response").update(question=None, operator="", values=[])
    call_command("load_content", verbosity=0)
    route = Criterion.objects.get(key="treatment_response")
    assert (route.question.key, route.operator, route.values) == (
        "induction_courses_7_or_more",
        "all_yes",
        ["tumour_surgery_done", "complete_response_normal_markers"],
    )


@pytest.mark.django_db
def test_the_migration_fixes_a_database_loaded_with_the_old_newly_diagnosed_rule(trials_data):
    from django.apps import apps

    fixes = importlib.import_module("trials.migrations.0004_screening_content_fixes")
    Trial.objects.filter(nct_id="NCT06516679").update(criteria_complete=False)
    Criterion.objects.filter(key="newly_diagnosed").update(
        question=Question.objects.get(key="disease_status"),
        operator="in",
        values=["newly_diagnosed"],
        text_en=fixes.OLD_TEXT["text_en"],
        text_ko="직원이 고친 문장",
    )
    fixes.forwards(apps, None)
    criterion = Criterion.objects.get(key="newly_diagnosed")
    assert (criterion.question, criterion.operator, criterion.values) == (None, "", [])
    assert criterion.text_en == fixes.NEW_TEXT["text_en"]
    assert criterion.text_ko == "직원이 고친 문장"  # staff's own words stay
    assert Trial.objects.get(nct_id="NCT06516679").criteria_complete
    # A refractory leukemia is no longer ruled out by a rule no known criterion gives.
    refractory = {**LEUKEMIA_FIT, "disease_status": "refractory"}
    assert by_trial(found_for(refractory))["NCT06516679"].outcome == Outcome.MAY_QUALIFY
