"""The JSON API: GET /api/v1/questions and POST /api/v1/prescreen."""

import json
import logging

import pytest

from trials.models import Criterion, Question
from trials.tests.answers import LEUKEMIA_FIT


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def prescreen(client, body, *, raw=False):
    data = body if raw else json.dumps(body)
    return client.post("/api/v1/prescreen", data, content_type="application/json")


def by_trial(response) -> dict:
    return {result["nct_id"]: result for result in response.json()["results"]}


# ---------------------------------------------------------------------------
# The question bank


@pytest.mark.django_db
def test_questions_lists_the_bank_with_types_choices_and_wording(client, trials_data):
    response = client.get("/api/v1/questions")
    assert response.status_code == 200
    questions = {q["key"]: q for q in response.json()["questions"]}
    assert list(questions) == list(Question.objects.values_list("key", flat=True))
    assert questions["birth_date"]["type"] == "date" and questions["birth_date"]["choices"] == []
    assert [c["value"] for c in questions["diagnosis"]["choices"]] == [
        "all",
        "alal_lymphoid",
        "alal_other",
        "aml",
        "burkitt_or_mature_b",
        "neuroblastoma",
        "other",
        "unsure",
    ]
    consent = questions["guardian_consent"]
    assert consent["type"] == "yes_no"
    assert [c["value"] for c in consent["choices"]] == ["yes", "no", "unsure"]
    assert consent["choices"][0]["label"]["en"] == "Yes"
    assert set(consent["wording"]) == {"en", "ko", "zh-hans"}
    assert questions["diagnosis"]["wording"]["ko"] == "자녀가 진단받은 병은 무엇인가요?"
    assert questions["neuroblastoma_stage"]["show_if"] == "diagnosis"
    assert questions["neuroblastoma_stage"]["show_if_values"] == ["neuroblastoma", "unsure"]


@pytest.mark.django_db
def test_questions_only_answers_get(client, trials_data):
    assert client.post("/api/v1/questions").status_code == 405


# ---------------------------------------------------------------------------
# Pre-screen results


@pytest.mark.django_db
def test_prescreen_returns_every_trial_with_every_criterion(client, trials_data):
    response = prescreen(client, {"answers": LEUKEMIA_FIT})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    results = by_trial(response)
    assert set(results) == {"NCT06516679", "NCT05303727"}
    leukemia = results["NCT06516679"]
    assert leukemia["title"] == "Efficacy of Risk-Stratified Treatment in Newly Diagnosed Infant Leukemia"
    assert leukemia["outcome"] == "may_qualify"
    assert len(leukemia["criteria"]) == Criterion.objects.filter(trial__nct_id="NCT06516679").count()
    assert {c["status"] for c in leukemia["criteria"]} == {"met"}
    assert {c["kind"] for c in leukemia["criteria"]} == {"inclusion", "exclusion"}
    assert all(set(c) >= {"kind", "text", "status"} and c["text"] for c in leukemia["criteria"])
    assert results["NCT05303727"]["outcome"] == "does_not_qualify"


@pytest.mark.django_db
def test_prescreen_for_neuroblastoma_says_the_study_team_checks_the_rest(client, trials_data):
    answers = {"birth_date": "2019-04-01", "diagnosis": "neuroblastoma", "neuroblastoma_stage": "stage_4_or_m"}
    result = by_trial(prescreen(client, {"answers": answers, "trials": ["NCT05303727"]}))["NCT05303727"]
    assert result["outcome"] == "may_qualify"
    assert [c["status"] for c in result["criteria"]] == ["met", "met", "met"]
    [team] = result["checked_by_study_team"]
    assert "study team checks this" in team["text"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "nct_id", "outcome", "status"),
    [
        ({"diagnosis": "aml"}, "NCT06516679", "does_not_qualify", {"all_or_lymphoid_alal": "not_met"}),
        ({"steroids_last_4_weeks": "yes"}, "NCT06516679", "does_not_qualify", {"steroids_last_4_weeks": "not_met"}),
        (
            {"steroids_last_4_weeks": "unsure"},
            "NCT06516679",
            "needs_more_information",
            {"steroids_last_4_weeks": "unknown"},
        ),
        ({"diagnosis_date": "2027-02-10"}, None, None, None),  # in the future: refused, see below
        ({"birth_date": "2025-08-01"}, "NCT06516679", "does_not_qualify", {"diagnosed_before_age_1": "not_met"}),
    ],
)
def test_prescreen_outcomes_follow_the_answers(client, trials_data, change, nct_id, outcome, status):
    response = prescreen(client, {"answers": {**LEUKEMIA_FIT, **change}})
    if nct_id is None:
        assert response.status_code == 400
        return
    result = by_trial(response)[nct_id]
    assert result["outcome"] == outcome
    statuses = {c["key"]: c["status"] for c in result["criteria"]}
    for key, expected in status.items():
        assert statuses[key] == expected


@pytest.mark.django_db
def test_left_out_questions_are_unknown_and_trials_is_optional(client, trials_data):
    results = by_trial(prescreen(client, {"answers": {}}))
    assert {r["outcome"] for r in results.values()} == {"needs_more_information"}
    assert all(c["status"] == "unknown" for r in results.values() for c in r["criteria"])
    assert by_trial(prescreen(client, {"answers": {"diagnosis": None}}))["NCT06516679"]["outcome"] == (
        "needs_more_information"
    )


@pytest.mark.django_db
def test_trials_limits_the_results(client, trials_data):
    response = prescreen(client, {"answers": LEUKEMIA_FIT, "trials": ["nct06516679"]})
    assert list(by_trial(response)) == ["NCT06516679"]
    assert prescreen(client, {"answers": LEUKEMIA_FIT, "trials": []}).json() == {"results": []}


# ---------------------------------------------------------------------------
# 400s


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "key", "message"),
    [
        ({"shoe_size": "3"}, "shoe_size", "There is no question with this key."),
        ({"diagnosis": "leukaemia"}, "diagnosis", "Choose one of the answers given."),
        ({"guardian_consent": True}, "guardian_consent", "Choose one of the answers given."),
        ({"diagnosis": ["all"]}, "diagnosis", "Choose one of the answers given."),
        ({"birth_date": "2026-02-30"}, "birth_date", "Enter a real date as year-month-day, for example 2025-03-01."),
        ({"birth_date": "10/02/2026"}, "birth_date", "Enter a real date as year-month-day, for example 2025-03-01."),
        ({"birth_date": 20260210}, "birth_date", "Enter a real date as year-month-day, for example 2025-03-01."),
        ({"birth_date": "2027-01-01"}, "birth_date", "The date of birth cannot be in the future."),
        ({"diagnosis_date": "2026-12-01"}, "diagnosis_date", "This date cannot be in the future."),
        (
            {"birth_date": "2026-05-01", "diagnosis_date": "2026-04-01"},
            "diagnosis_date",
            "This date is before the date of birth. Check both dates.",
        ),
    ],
)
def test_bad_answers_get_a_400_naming_the_key(client, trials_data, answers, key, message):
    response = prescreen(client, {"answers": answers})
    assert response.status_code == 400
    assert response.json() == {"errors": {key: [message]}}


@pytest.mark.django_db
def test_every_bad_answer_is_reported_at_once(client, trials_data):
    response = prescreen(client, {"answers": {"shoe_size": "3", "diagnosis": "x"}, "trials": ["NCT00000001"]})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"shoe_size", "diagnosis", "trials"}
    assert response.json()["errors"]["trials"] == ["Unknown trial: NCT00000001."]


@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"{not json", b"", "\u00ff".encode("latin-1"), b"answers=1"])
def test_a_body_that_is_not_json_gets_a_400(client, trials_data, body):
    response = prescreen(client, body, raw=True)
    assert response.status_code == 400
    assert response.json() == {"errors": {"__all__": ["The body must be JSON."]}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "key"),
    [
        ([], "__all__"),
        ("answers", "__all__"),
        ({"answers": ["all"]}, "answers"),
        ({"answers": {}, "trials": "NCT06516679"}, "trials"),
        ({"answers": {}, "trials": [6516679]}, "trials"),
        ({"answers": {}, "extra": 1}, "extra"),
    ],
)
def test_a_body_of_the_wrong_shape_gets_a_400(client, trials_data, body, key):
    response = prescreen(client, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [key]
    assert isinstance(errors[key], list) and all(isinstance(m, str) and m for m in errors[key])


@pytest.mark.django_db
def test_prescreen_only_answers_post_and_needs_no_csrf_token(trials_data):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get("/api/v1/prescreen").status_code == 405
    assert prescreen(strict, {"answers": LEUKEMIA_FIT}).status_code == 200
    assert "Set-Cookie" not in prescreen(strict, {"answers": LEUKEMIA_FIT}).headers


@pytest.mark.django_db
def test_answers_are_not_logged(client, trials_data, caplog):
    with caplog.at_level(logging.DEBUG):
        prescreen(client, {"answers": {**LEUKEMIA_FIT, "birth_date": "2026-01-19"}})
        prescreen(client, {"answers": {"birth_date": "2026-13-19", "diagnosis": "burkitt_or_mature_b"}})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "2026-01-19" not in logged and "2026-13-19" not in logged and "burkitt" not in logged


@pytest.mark.django_db
def test_the_api_makes_a_fixed_number_of_queries(client, trials_data, django_assert_max_num_queries):
    Criterion.objects.create(
        trial=Criterion.objects.first().trial,
        key="extra",
        kind="exclusion",
        text="Extra",
        question=Question.objects.get(key="guardian_consent"),
        operator="in",
        values=["no"],
    )
    with django_assert_max_num_queries(4):
        assert prescreen(client, {"answers": LEUKEMIA_FIT}).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/questions").status_code == 200


@pytest.mark.django_db
def test_a_rule_changed_by_staff_applies_at_once(client, trials_data):
    assert by_trial(prescreen(client, {"answers": LEUKEMIA_FIT}))["NCT06516679"]["outcome"] == "may_qualify"
    consent = Criterion.objects.get(trial__nct_id="NCT06516679", key="guardian_consent")
    consent.values = ["no"]
    consent.save()
    assert by_trial(prescreen(client, {"answers": LEUKEMIA_FIT}))["NCT06516679"]["outcome"] == "does_not_qualify"
