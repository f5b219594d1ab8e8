"""The JSON API: GET /api/v1/questions and POST /api/v1/prescreen, with registry records of our own."""

import json
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trials.models import Criterion, Question
from trials.tests.answers import LEUKEMIA_FIT, NEUROBLASTOMA_FIT
from trials.tests.records import (
    ADULTS_ONLY,
    GIRLS_ONLY,
    INFANTS_IN_MONTHS,
    NEWBORNS_IN_WEEKS,
    TERMINATED,
    WITHDRAWN,
    import_records,
)


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def prescreen(client, body, *, raw=False, path="/api/v1/prescreen", **headers):
    data = body if raw else json.dumps(body)
    return client.post(path, data, content_type="application/json", **headers)


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
    assert leukemia["criteria_complete"] is True
    staff = Criterion.objects.filter(trial__nct_id="NCT06516679")
    assert len(leukemia["criteria"]) == staff.filter(question__isnull=False).count() + 1  # and the registry's age
    assert [c["key"] for c in leukemia["checked_by_study_team"]] == ["newly_diagnosed"]
    assert {c["status"] for c in leukemia["criteria"]} == {"met"}
    assert {c["kind"] for c in leukemia["criteria"]} == {"inclusion", "exclusion"}
    assert {c["source"] for c in leukemia["criteria"]} == {"staff", "registry"}
    assert all(set(c) >= {"kind", "text", "status", "reason"} and c["text"] for c in leukemia["criteria"])
    assert leukemia["questions_for_doctor"] == [Criterion.objects.get(key="newly_diagnosed").doctor_question]
    assert results["NCT05303727"]["outcome"] == "does_not_qualify"
    assert results["NCT05303727"]["criteria_complete"] is False


@pytest.mark.django_db
def test_prescreen_for_neuroblastoma_never_says_more_than_it_knows(client, trials_data):
    result = by_trial(prescreen(client, {"answers": NEUROBLASTOMA_FIT, "trials": ["NCT05303727"]}))["NCT05303727"]
    # Every known rule fits, the route included; the rest is not published.
    assert [c["status"] for c in result["criteria"]] == ["met"] * 5
    assert result["outcome"] == "needs_more_information"
    assert result["criteria_complete"] is False
    assert result["questions_for_doctor"] == [
        "Some rules of study NCT05303727 are not published. Could you ask its study team whether my child fits them?"
    ]
    six_courses = {**NEUROBLASTOMA_FIT, "induction_courses_7_or_more": "no"}
    result = by_trial(prescreen(client, {"answers": six_courses, "trials": ["NCT05303727"]}))["NCT05303727"]
    route = next(c for c in result["criteria"] if c["key"] == "treatment_response")
    assert route["status"] == "unknown"
    assert route["reason"].startswith("You answered “No” to one part.")
    assert result["outcome"] == "needs_more_information"


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
    assert prescreen(client, {"answers": LEUKEMIA_FIT, "trials": []}).json()["results"] == []


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
def test_the_api_reads_the_database_only_when_content_changed(client, trials_data):
    assert prescreen(client, {"answers": LEUKEMIA_FIT}).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert prescreen(client, {"answers": LEUKEMIA_FIT}).status_code == 200
        assert client.get("/api/v1/questions").status_code == 200
    assert len(queries) == 0


@pytest.mark.django_db
def test_a_rule_changed_by_staff_applies_at_once(client, trials_data):
    assert by_trial(prescreen(client, {"answers": LEUKEMIA_FIT}))["NCT06516679"]["outcome"] == "may_qualify"
    consent = Criterion.objects.get(trial__nct_id="NCT06516679", key="guardian_consent")
    consent.values = ["no"]
    consent.save()
    assert by_trial(prescreen(client, {"answers": LEUKEMIA_FIT}))["NCT06516679"]["outcome"] == "does_not_qualify"


# ---------------------------------------------------------------------------
# Registry records of our own, in real shapes


@pytest.mark.django_db
def test_registry_records_in_real_shapes_are_screened_by_their_own_rules(client, trials_data):
    import_records(ADULTS_ONLY, WITHDRAWN, TERMINATED, INFANTS_IN_MONTHS, NEWBORNS_IN_WEEKS, GIRLS_ONLY)
    response = prescreen(client, {"answers": {**LEUKEMIA_FIT, "sex": "girl"}})
    body = response.json()
    results = by_trial(response)
    # Closed trials are left out, and said so.
    assert {t["nct_id"]: t["status"] for t in body["left_out"]} == {
        "NCT09000002": "WITHDRAWN",
        "NCT09000003": "TERMINATED",
    }
    assert body["left_out_reason"].startswith("2 trials were left out because they no longer take new children")
    assert not {"NCT09000002", "NCT09000003"} & set(results)
    # An adults-only lung-cancer trial: not for a baby of 9 months.
    lung = results["NCT09000001"]
    assert lung["outcome"] == "does_not_qualify"
    assert lung["criteria"] == [
        {
            "key": "registry_minimum_age",
            "kind": "inclusion",
            "source": "registry",
            "text": "Age 18 years or older (from the registry)",
            "status": "not_met",
            "reason": "Your child is 9 months old.",
        }
    ]
    assert lung["questions_for_doctor"] == []
    # Ages in months and weeks, in their own units; a trial for girls.
    assert [c["status"] for c in results["NCT09000004"]["criteria"]] == ["met", "met"]
    assert [c["status"] for c in results["NCT09000005"]["criteria"]] == ["not_met"]
    assert [c["status"] for c in results["NCT09000006"]["criteria"]] == ["met", "met"]
    # Their criteria are not encoded yet: a child who fits what the registry says still needs the study team.
    for nct_id in ("NCT09000004", "NCT09000006"):
        assert results[nct_id]["outcome"] == "needs_more_information"
        assert results[nct_id]["criteria_complete"] is False
    assert by_trial(prescreen(client, {"answers": {**LEUKEMIA_FIT, "sex": "boy"}}))["NCT09000006"]["outcome"] == (
        "does_not_qualify"
    )


@pytest.mark.django_db
def test_asking_for_a_closed_trial_says_it_was_left_out(client, trials_data):
    import_records(WITHDRAWN)
    body = prescreen(client, {"answers": LEUKEMIA_FIT, "trials": ["nct09000002"]}).json()
    assert body["results"] == []
    assert [t["nct_id"] for t in body["left_out"]] == ["NCT09000002"]


# ---------------------------------------------------------------------------
# The reader's language


@pytest.mark.django_db
def test_texts_follow_accept_language_and_lang(client, trials_data):
    answers = {**LEUKEMIA_FIT, "steroids_last_4_weeks": "unsure"}
    korean = by_trial(prescreen(client, {"answers": answers}, HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9"))
    steroids = next(c for c in korean["NCT06516679"]["criteria"] if c["key"] == "steroids_last_4_weeks")
    assert steroids["text"] == Criterion.objects.get(key="steroids_last_4_weeks").text_ko
    with translation.override("ko"):
        assert steroids["reason"] == gettext("You answered “Not sure”.")
    assert (
        Question.objects.get(key="steroids_last_4_weeks").doctor_question_ko
        in (korean["NCT06516679"]["questions_for_doctor"])
    )
    chinese = prescreen(client, {"answers": answers}, path="/api/v1/prescreen?lang=zh-hans")
    assert chinese.json()["language"] == "zh-hans"
    leukemia = by_trial(chinese)["NCT06516679"]
    texts = {c["text"] for c in leukemia["criteria"]}
    assert Criterion.objects.get(key="all_or_lymphoid_alal").text_zh_hans in texts
    errors = prescreen(client, {"answers": {"diagnosis": "x"}}, HTTP_ACCEPT_LANGUAGE="zh-CN").json()["errors"]
    assert errors == {"diagnosis": ["请从给出的答案中选择一个。"]}


# ---------------------------------------------------------------------------
# Never a server error


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [1000, 5000, 100_000])
def test_json_nested_too_deep_is_a_clean_400(client, trials_data, depth):
    response = prescreen(client, ("[" * depth).encode(), raw=True)
    assert response.status_code == 400
    assert response.json() == {"errors": {"__all__": ["The body must be JSON."]}}
    nested = '{"answers": {"diagnosis": ' + "[" * depth + "]" * depth + "}}"
    assert prescreen(client, nested.encode(), raw=True).status_code == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
QUESTION_KEYS = [
    "birth_date",
    "diagnosis",
    "diagnosis_date",
    "sex",
    "steroids_last_4_weeks",
    "induction_courses_7_or_more",
    "shoe_size",
]
answer_values = st.one_of(
    json_values,
    st.sampled_from(["yes", "no", "unsure", "all", "neuroblastoma", "girl", "2026-02-10", "2026-02-30", " ", ""]),
    st.dates().map(str),
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"answers": st.dictionaries(st.sampled_from(QUESTION_KEYS), answer_values, max_size=7)},
        optional={"trials": st.one_of(json_values, st.lists(st.sampled_from(["NCT06516679", "nct05303727", "x"])))},
    ),
)


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_any_json_body_gets_a_200_or_a_400_with_messages(client, trials_data, body):
    response = prescreen(client, body)
    assert response.status_code in (200, 400)
    data = response.json()
    if response.status_code == 400:
        assert data["errors"] and all(
            isinstance(messages, list) and all(isinstance(m, str) and m for m in messages)
            for messages in data["errors"].values()
        )
    else:
        assert all(
            r["outcome"] in {"may_qualify", "needs_more_information", "does_not_qualify"} for r in data["results"]
        )
