"""The pre-screener pages: steps, validation, the result, no storage, and the admin's rule checks."""

import html as html_lib
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trials.models import Criterion, Question, Trial
from trials.tests.answers import LEUKEMIA_FIT, NEUROBLASTOMA_FIT
from trials.tests.records import ADULTS_ONLY, GIRLS_ONLY, WITHDRAWN, import_records, study_record
from trials.tests.staff import staff_login


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def post(client, path="/screen/", **data):
    response = client.post(path, data)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def step_label(html: str) -> str:
    return re.search(r"Step \d+ of \d+", html).group(0)


def asked(html: str) -> set[str]:
    """Keys of the questions shown on the page (not the hidden ones carried along)."""
    return set(re.findall(r'id="q-([a-z_0-9]+)"', html))


def carried(html: str) -> dict[str, str]:
    form = html[html.index('id="screen-form"') :]
    found = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', form))
    found.pop("csrfmiddlewaretoken", None)
    return found


def error_beside(html: str, key: str) -> str:
    """The message inside the question's own block, tied to the field by aria-describedby."""
    block = re.search(rf'id="q-{key}".*?(?=<(?:div|fieldset) class="question|<div class="actions)', html, re.S).group(0)
    match = re.search(rf'<p class="field-error" id="(error_{key}_1)">([^<]+)</p>', block)
    assert match, f"no error beside {key}"
    assert match.group(1) in block[block.index("aria-describedby") :]
    return match.group(2)


def outcome(html: str, nct_id: str) -> str:
    """A trial's outcome, shown in full or folded into one line."""
    found = re.search(rf'aria-labelledby="result-{nct_id}" data-outcome="([a-z_]+)"', html)
    found = found or re.search(rf'data-outcome="([a-z_]+)" id="result-{nct_id}"', html)
    return found.group(1)


def section(html: str, start: str, end: str = "</section>") -> str:
    html = html[html.index(start) :]
    return html[: html.index(end)]


# ---------------------------------------------------------------------------
# Steps


@pytest.mark.django_db
def test_the_first_step_asks_birth_date_and_diagnosis(client, trials_data):
    html = client.get("/screen/").content.decode()
    assert step_label(html) == "Step 1 of 4"
    assert asked(html) == {"birth_date", "diagnosis"}
    assert 'type="date"' in html and "Not sure" in html
    assert "Nothing you enter is stored" in html


@pytest.mark.django_db
def test_a_child_with_leukemia_goes_through_four_steps_without_the_neuroblastoma_stage(client, trials_data):
    html = post(client, step="1", action="next", birth_date="2026-02-10", diagnosis="all")
    assert step_label(html) == "Step 2 of 4"
    assert asked(html) == {"diagnosis_date", "disease_status"}
    assert carried(html) == {"step": "2", "birth_date": "2026-02-10", "diagnosis": "all"}
    html = post(client, step="2", action="next", **{**LEUKEMIA_FIT})
    assert step_label(html) == "Step 3 of 4"
    assert asked(html) == {
        "prior_stem_cell_transplant",
        "steroids_last_4_weeks",
        "marrow_failure_syndrome",
        "medicine_contraindication",
    }
    html = post(client, step="3", action="next", **LEUKEMIA_FIT)
    assert step_label(html) == "Step 4 of 4"
    assert "See the result" in html
    html = post(client, step="4", action="next", **LEUKEMIA_FIT)
    assert outcome(html, "NCT06516679") == "may_qualify"
    assert outcome(html, "NCT05303727") == "does_not_qualify"


@pytest.mark.django_db
def test_a_child_with_neuroblastoma_is_asked_the_stage_then_the_known_route(client, trials_data):
    html = post(client, step="1", action="next", birth_date="2021-05-05", diagnosis="neuroblastoma")
    assert step_label(html) == "Step 2 of 3"
    assert asked(html) == {"neuroblastoma_stage"}
    html = post(client, step="2", action="next", **{**NEUROBLASTOMA_FIT})
    assert step_label(html) == "Step 3 of 3"
    assert asked(html) == {"induction_courses_7_or_more", "tumour_surgery_done", "complete_response_normal_markers"}
    assert "Not sure" in html
    html = post(client, step="3", action="next", **NEUROBLASTOMA_FIT)
    # Every known rule fits, but the trial's other rules are not published: never "may qualify".
    assert outcome(html, "NCT05303727") == "needs_more_information"
    result = html_lib.unescape(section(html, 'id="result-NCT05303727"'))
    assert "Your answers fit every rule we know. Some of this trial's rules are not published" in result
    assert "We do not know every reason a child cannot join it" in result
    assert "7 courses" in result
    assert outcome(html, "NCT06516679") == "does_not_qualify"


@pytest.mark.django_db
def test_a_child_with_neuroblastoma_is_never_told_every_question_that_matters_was_answered(client, trials_data):
    # Journeys 2.1: a father whose child has had 6 courses, surgery still to come.
    answers = {**NEUROBLASTOMA_FIT, "induction_courses_7_or_more": "no", "tumour_surgery_done": "no"}
    html = post(client, "/zh-hans/screen/", step="3", action="next", **answers)
    assert outcome(html, "NCT05303727") == "needs_more_information"
    doctor = section(html, 'id="doctor-heading"')
    assert Criterion.objects.get(key="treatment_response").doctor_question_zh_hans in doctor
    assert "NCT05303727" in doctor
    for english in ("every question that matters", "You answered every question"):
        assert english not in html


@pytest.mark.django_db
def test_back_keeps_every_answer(client, trials_data):
    html = post(client, step="2", action="back", birth_date="2026-02-10", diagnosis="all", diagnosis_date="2026-09-0")
    assert step_label(html) == "Step 1 of 4"
    assert 'value="2026-02-10"' in html
    assert re.search(r'value="all" checked', html)
    # The half-typed date of the step we left is kept as typed, and not judged yet.
    assert carried(html)["diagnosis_date"] == "2026-09-0"
    assert "field-error" not in html


@pytest.mark.django_db
def test_the_trial_screen_asks_only_that_trials_questions(client, trials_data):
    html = client.get("/trials/NCT05303727/screen/").content.decode()
    assert step_label(html) == "Step 1 of 3"
    assert asked(html) == {"birth_date", "diagnosis"}
    html = post(
        client, "/trials/NCT05303727/screen/", step="1", action="next", birth_date="2021-05-05", diagnosis="unsure"
    )
    assert asked(html) == {"neuroblastoma_stage"}
    html = post(
        client, "/trials/NCT05303727/screen/", step="2", action="next", birth_date="2021-05-05", diagnosis="unsure"
    )
    assert "NCT05303727" in html and "result-NCT06516679" not in html
    assert outcome(html, "NCT05303727") == "needs_more_information"


@pytest.mark.django_db
def test_a_trial_that_no_longer_enrols_is_not_screened_and_says_why(client, trials_data):
    import_records(WITHDRAWN)
    html = client.get("/trials/NCT09000002/screen/").content.decode()
    assert "This study no longer takes new children (its status is “Withdrawn”)" in html
    assert "data-outcome" not in html
    html = post(client, step="4", action="next", **LEUKEMIA_FIT)
    assert "1 trial was left out because it no longer takes new children: Withdrawn (1)." in html
    assert "result-NCT09000002" not in html


@pytest.mark.django_db
def test_an_unknown_trial_is_not_found(client, trials_data):
    assert client.get("/trials/NCT00000000/screen/").status_code == 404


@pytest.mark.django_db
def test_tampered_steps_do_not_break_the_page(client, trials_data):
    # Unknown steps start from the first step; unknown actions mean "next".
    assert "Step 2 of 4" in post(client, step="99", action="next")
    assert "Step 2 of 4" in post(client, step="x", action="jump")
    assert "Step 1 of 4" in post(client, step="2", action="back")
    assert "Step 1 of 4" in post(client, step="result", action="change:99")
    assert "Step 1 of 4" in post(client, step="result", action="change:x")
    assert client.get("/screen/?step=result").status_code == 200


# ---------------------------------------------------------------------------
# Bad input: a message beside the field, nothing lost


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        ({"step": "1", "birth_date": "2027-01-05", "diagnosis": "all"}, "birth_date", "cannot be in the future"),
        ({"step": "1", "birth_date": "2026-02-30", "diagnosis": "all"}, "birth_date", "Enter a real date"),
        ({"step": "1", "birth_date": "10/02/2026", "diagnosis": "all"}, "birth_date", "Enter a real date"),
        (
            {"step": "2", "birth_date": "2026-02-10", "diagnosis": "all", "diagnosis_date": "2026-01-01"},
            "diagnosis_date",
            "before the date of birth",
        ),
        (
            {"step": "2", "birth_date": "2026-02-10", "diagnosis": "all", "diagnosis_date": "2026-12-01"},
            "diagnosis_date",
            "cannot be in the future",
        ),
        ({"step": "1", "birth_date": "2026-02-10", "diagnosis": "cancer"}, "diagnosis", "Choose one of the answers"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_answers_are_kept(client, trials_data, data, key, message):
    html = post(client, action="next", **data)
    assert message in error_beside(html, key)
    assert "Please check these answers" in html
    assert step_label(html).startswith(f"Step {data['step']} ")
    for name, value in data.items():
        if name == "step":
            continue
        if name == key and value == "cancer":
            # A value that is not one of the choices cannot be shown as chosen.
            assert 'value="cancer"' not in html
            continue
        assert f'value="{value}"' in html


@pytest.mark.django_db
def test_changing_the_birth_date_after_the_diagnosis_date_is_caught_beside_the_birth_date(client, trials_data):
    html = post(client, step="1", action="next", birth_date="2026-10-01", diagnosis="all", diagnosis_date="2026-09-01")
    assert "Check both dates" in error_beside(html, "birth_date")
    assert carried(html)["diagnosis_date"] == "2026-09-01"


@pytest.mark.django_db
def test_a_diagnosis_before_the_birth_says_which_date_of_birth_was_given(client, trials_data):
    html = post(client, step="2", action="next", birth_date="2026-03-01", diagnosis="all", diagnosis_date="2026-01-05")
    assert "before the date of birth" in error_beside(html, "diagnosis_date")
    assert "You gave 1 March 2026 as the date of birth." in html


# ---------------------------------------------------------------------------
# The result


@pytest.mark.django_db
def test_the_result_lists_every_criterion_with_a_reason_and_questions_for_the_doctor(client, trials_data):
    answers = {**LEUKEMIA_FIT, "steroids_last_4_weeks": "unsure", "guardian_consent": ""}
    html = post(client, step="4", action="next", **answers)
    assert outcome(html, "NCT06516679") == "needs_more_information"
    assert "We need more information to tell." in html
    assert "Some answers are not known yet. Nothing rules your child out so far." in html
    leukemia = section(html, 'id="result-NCT06516679"')
    staff_rules = Criterion.objects.filter(trial__nct_id="NCT06516679", question__isnull=False).count()
    # Staff's rules and the registry's age limit, side by side.
    assert len(re.findall(r'class="criterion criterion-(?:met|not_met|unknown)', leukemia)) == staff_rules + 1
    assert "Age 2 years or younger (from copies of the registry record)" in leukemia
    assert leukemia.count("criterion-unknown") == 2
    assert "Your child was diagnosed at 6 months old." in leukemia
    assert "You answered “Not sure”." in leukemia
    assert "Not answered. It may not have been asked, because of an earlier answer." in leukemia
    # The study team checks "newly diagnosed" (it comes from the title).
    assert "The study team checks the rest" in leukemia and "newly diagnosed infant leukemia" in leukemia
    doctor = section(html, 'id="doctor-heading"')
    for said in [
        Question.objects.get(key="steroids_last_4_weeks").doctor_question,
        Question.objects.get(key="guardian_consent").doctor_question,
        Criterion.objects.get(key="newly_diagnosed").doctor_question,
    ]:
        assert html_lib.escape(said) in doctor
    assert doctor.count("<li>") == 3


@pytest.mark.django_db
def test_a_baby_ruled_out_by_steroids_is_told_why_first_and_what_to_ask_the_doctor(client, trials_data):
    # Journeys 1.3 and 1.4, in Korean: steroids "yes", the medicine question "not sure".
    answers = {**LEUKEMIA_FIT, "steroids_last_4_weeks": "yes", "medicine_contraindication": "unsure"}
    html = post(client, "/ko/trials/NCT06516679/screen/", step="4", action="next", **answers)
    assert outcome(html, "NCT06516679") == "does_not_qualify"
    result = section(html, 'id="result-NCT06516679"')
    ruled_out = section(result, 'class="ruled-out"', "</div>")
    assert "참여 전 4주 안에 스테로이드 약을 쓴 아이. 먹거나, 주사나 수액으로 맞은 경우" in ruled_out
    doctor = section(html, 'id="doctor-heading"')
    assert Question.objects.get(key="steroids_last_4_weeks").doctor_question_ko in doctor
    assert Question.objects.get(key="medicine_contraindication").doctor_question_ko in doctor
    # A single trial's page keeps its way to the study team.
    assert 'action="/ko/trials/NCT06516679/contact/"' in html


@pytest.mark.django_db
def test_the_general_result_shows_trials_that_may_fit_first_and_folds_the_others(client, trials_data):
    import_records(ADULTS_ONLY)
    html = post(client, step="4", action="next", **LEUKEMIA_FIT)
    fits = html.index('id="result-NCT06516679"')
    folded = section(html, '<details class="not-fitting"', "</details>")
    assert fits < html.index('<details class="not-fitting"')
    assert "Trials that do not seem to fit (2)" in folded
    assert " open" not in folded.split(">")[0]
    # One line each, with its reason, and no contact button of its own.
    lung = section(folded, 'id="result-NCT09000001"', "</li>")
    assert "Does not fit Age 18 years or older (from the registry) Your child is 9 months old." in " ".join(
        re.sub(r"<[^>]+>", " ", lung).split()
    )
    assert "/contact/" not in folded and "Contact the study team" not in folded
    assert html.count("Contact the study team") == 1


@pytest.mark.django_db
def test_when_nothing_fits_the_folded_trials_are_open(client, trials_data):
    html = post(client, step="4", action="next", **{**LEUKEMIA_FIT, "steroids_last_4_weeks": "yes"})
    assert '<details class="not-fitting" open>' in html
    assert "see the questions for your child" in html


@pytest.mark.django_db
def test_the_result_and_its_print_view_carry_the_date_in_the_readers_language(client, trials_data):
    for path, date in [
        ("/screen/", "21 November 2026"),
        ("/ko/screen/", "2026년 11월 21일"),
        ("/zh-hans/screen/", "2026年11月21日"),
    ]:
        html = post(client, path, step="4", action="next", **LEUKEMIA_FIT)
        checked = section(html, 'class="checked-on"', "</p>")
        assert date in checked and "no-print" not in checked
        answers = section(html, 'id="answers-heading"')
        assert not re.search(r"\d{4}-\d{2}-\d{2}", re.sub(r"<input[^>]*>", "", answers))


@pytest.mark.django_db
def test_a_sex_question_is_asked_when_a_screened_trial_takes_one_sex_only(client, trials_data):
    assert 'id="q-sex"' not in client.get("/screen/").content.decode()
    import_records(GIRLS_ONLY)
    html = client.get("/screen/").content.decode()
    assert asked(html) == {"birth_date", "diagnosis", "sex"}
    html = post(client, step="4", action="next", **{**LEUKEMIA_FIT, "sex": "boy"})
    assert outcome(html, "NCT09000006") == "does_not_qualify"
    assert "Girls only (from the registry)" in html


@pytest.mark.django_db
def test_the_way_forward_carries_no_answers_unless_ticked(client, trials_data):
    html = post(client, step="4", action="next", **LEUKEMIA_FIT)
    form = re.search(r'<form method="post" action="/trials/NCT06516679/contact/".*?</form>', html, re.S).group(0)
    assert 'name="from_prescreen" value="1"' in form
    checkbox = re.search(r'<input class="form-check-input" type="checkbox" name="prescreen_summary"[^>]*>', form).group(
        0
    )
    assert "checked" not in checkbox
    assert "10 February 2026" in checkbox and "Acute lymphoblastic leukemia (ALL)" in checkbox
    assert "What TrialFinder found for NCT06516679 on 21 November 2026: may qualify." in checkbox
    # No other field of the way forward carries an answer.
    assert "February 2026" not in form.replace(checkbox, "")


@pytest.mark.django_db
def test_pages_never_say_eligible(client, trials_data):
    pages = [
        client.get("/screen/").content.decode(),
        post(client, step="1", action="next", birth_date="2026-02-10", diagnosis="all"),
        post(client, step="4", action="next", **LEUKEMIA_FIT),
        post(client, step="4", action="next", diagnosis="unsure"),
    ]
    for html in pages:
        assert "eligib" not in html.lower()


@pytest.mark.django_db
def test_change_my_answers_goes_back_to_the_first_step_with_every_answer(client, trials_data):
    html = post(client, step="result", action="change", **LEUKEMIA_FIT)
    assert step_label(html) == "Step 1 of 4"
    assert 'value="2026-02-10"' in html
    assert carried(html)["guardian_consent"] == "yes"


@pytest.mark.django_db
def test_each_answer_can_be_changed_on_its_own_step(client, trials_data):
    html = post(client, step="4", action="next", **LEUKEMIA_FIT)
    assert 'name="action" value="change:3"' in html
    html = post(client, step="result", action="change:3", **LEUKEMIA_FIT)
    assert step_label(html) == "Step 3 of 4"
    assert re.search(r'name="steroids_last_4_weeks" id="[^"]+" value="no" checked', html)
    # Back from the result is the last step asked.
    assert step_label(post(client, step="result", action="back", **LEUKEMIA_FIT)) == "Step 4 of 4"


# ---------------------------------------------------------------------------
# Language switching keeps the answers


@pytest.mark.django_db
def test_switching_language_mid_flow_keeps_the_answers(client, trials_data):
    html = post(client, step="2", action="next", birth_date="2026-02-10", diagnosis="all")
    assert 'formaction="/ko/screen/"' in html and 'formaction="/zh-hans/screen/"' in html
    response = client.post(
        "/ko/screen/",
        {"step": "2", "action": "language", "birth_date": "2026-02-10", "diagnosis": "all", "diagnosis_date": "2026-0"},
    )
    html = response.content.decode()
    assert response.cookies["django_language"].value == "ko"
    assert '<html lang="ko">' in html
    assert "자녀가 진단받은 날짜는 언제인가요?" in html
    assert 'value="2026-0"' in html  # kept as typed, not judged
    assert carried(html) == {"step": "2", "birth_date": "2026-02-10", "diagnosis": "all"}


@pytest.mark.django_db
def test_switching_language_on_the_result_shows_the_result_again(client, trials_data):
    html = post(client, "/zh-hans/screen/", step="result", action="language", **LEUKEMIA_FIT)
    assert outcome(html, "NCT06516679") == "may_qualify"
    assert "孩子在满1周岁之前确诊。" in html


# ---------------------------------------------------------------------------
# Nothing is stored


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_a_whole_pre_screen_writes_nothing_to_the_database(client, trials_data):
    before = row_counts()
    with CaptureQueriesContext(connection) as queries:
        client.get("/screen/")
        post(client, step="1", action="next", birth_date="2026-02-10", diagnosis="all")
        post(client, step="2", action="back", **LEUKEMIA_FIT)
        post(client, step="4", action="next", **LEUKEMIA_FIT)
        post(client, "/ko/screen/", step="result", action="language", **LEUKEMIA_FIT)
        client.post("/api/v1/prescreen", {"answers": LEUKEMIA_FIT}, content_type="application/json")
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert row_counts() == before
    assert "sessionid" not in client.cookies


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_criteria(client, trials_data, django_assert_max_num_queries):
    def count():
        with CaptureQueriesContext(connection) as queries:
            post(client, step="4", action="next", **LEUKEMIA_FIT)
        return len(queries)

    first = count()
    trial = Trial.objects.get(nct_id="NCT06516679")
    question = Question.objects.get(key="guardian_consent")
    for number in range(5):
        Criterion.objects.create(
            trial=trial,
            key=f"extra-{number}",
            kind="inclusion",
            text=f"Extra {number}",
            question=question,
            operator="in",
            values=["yes"],
        )
    assert count() == first
    assert first <= 12


# ---------------------------------------------------------------------------
# The admin refuses unsound rules

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def staff_client(client, db):
    user = get_user_model().objects.create_superuser("editor", "editor@example.org", PASSWORD)
    staff_login(client, user)
    return client


def criterion_form(trial, question, operator, values):
    return {
        "trial": trial.pk,
        "key": "new-rule",
        "kind": "inclusion",
        "order": "9",
        "text_en": "A new rule.",
        "text_ko": "",
        "text_zh_hans": "",
        "question": question.pk if question else "",
        "operator": operator,
        "values": values,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "operator", "values", "message"),
    [
        ("diagnosis", "in", '["leukaemia"]', "“leukaemia” is not an answer to “diagnosis”"),
        ("diagnosis", "in", '["unsure"]', "“Not sure” always leaves the criterion unknown"),
        ("guardian_consent", "age_at_most_years", "[18]", "needs a date question"),
        ("birth_date", "in", '["2020-01-01"]', "not a date"),
        ("diagnosis_date", "diagnosed_before_age_months", '["a year"]', "one whole number"),
        ("diagnosis", "", '["all"]', "Choose how the answer is compared"),
        ("induction_courses_7_or_more", "all_yes", '["shoe_size"]', "“shoe_size” is not another yes/no question"),
        ("induction_courses_7_or_more", "all_yes", '["diagnosis"]', "“diagnosis” is not another yes/no question"),
        ("diagnosis", "all_yes", '["tumour_surgery_done"]', "This comparison needs yes/no questions"),
    ],
)
def test_the_admin_refuses_a_rule_that_does_not_fit_its_question(
    staff_client, trials_data, key, operator, values, message
):
    trial = Trial.objects.get(nct_id="NCT06516679")
    before = Criterion.objects.count()
    response = staff_client.post(
        "/admin/trials/criterion/add/", criterion_form(trial, Question.objects.get(key=key), operator, values)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Criterion.objects.count() == before


@pytest.mark.django_db
def test_the_admin_saves_a_sound_rule_and_a_study_team_check(staff_client, trials_data):
    trial = Trial.objects.get(nct_id="NCT05303727")
    response = staff_client.post(
        "/admin/trials/criterion/add/",
        criterion_form(trial, Question.objects.get(key="diagnosis"), "in", '["neuroblastoma"]'),
    )
    assert response.status_code == 302
    form = {**criterion_form(trial, None, "", "[]"), "key": "team-check"}
    assert staff_client.post("/admin/trials/criterion/add/", form).status_code == 302
    route = {
        **criterion_form(
            trial, Question.objects.get(key="tumour_surgery_done"), "all_yes", '["complete_response_normal_markers"]'
        ),
        "key": "route",
        "ask_doctor": "on",
        "doctor_question_en": "Could another way in fit my child?",
    }
    assert staff_client.post("/admin/trials/criterion/add/", route).status_code == 302
    saved = Criterion.objects.get(trial=trial, key="route")
    assert saved.ask_doctor and saved.doctor_question == "Could another way in fit my child?"
    assert Criterion.objects.filter(trial=trial, key__in=["new-rule", "team-check", "route"]).count() == 3
    # Route questions are asked on the trial's page at once.
    html = staff_client.get("/trials/NCT05303727/screen/").content.decode()
    assert step_label(html) == "Step 1 of 3"


@pytest.mark.django_db
def test_the_admin_refuses_show_if_values_that_are_not_answers(staff_client, trials_data):
    question = Question.objects.get(key="neuroblastoma_stage")
    question.show_if_values = ["neuroblastomas"]
    with pytest.raises(Exception, match="neuroblastomas"):
        question.full_clean()
    html = staff_client.get(f"/admin/trials/question/{question.pk}/change/").content.decode()
    assert "stage_4_or_m" in html  # the choices inline


@pytest.mark.django_db
def test_every_shipped_criterion_passes_the_admins_checks(trials_data):
    assert Criterion.objects.exists() and Question.objects.exists()
    for criterion in Criterion.objects.select_related("question"):
        criterion.full_clean()
    for question in Question.objects.all():
        question.full_clean()


@pytest.mark.django_db
def test_the_contact_page_receives_the_summary_only_when_ticked(client, trials_data):
    html = post(client, step="4", action="next", **LEUKEMIA_FIT)
    form = re.search(r'<form method="post" action="(/trials/NCT06516679/contact/)".*?</form>', html, re.S)
    summary = re.search(r'name="prescreen_summary" value="([^"]*)"', form.group(0)).group(1)
    summary = html_lib.unescape(summary)
    ticked = client.post(form.group(1), {"from_prescreen": "1", "prescreen_summary": summary}).content.decode()
    assert "The summary of your answers" in ticked
    assert "Acute lymphoblastic leukemia (ALL)" in ticked and "1 September 2026" in ticked
    unticked = client.post(form.group(1), {"from_prescreen": "1"}).content.decode()
    assert "The summary of your answers" not in unticked and "1 September 2026" not in unticked


@pytest.mark.django_db
def test_a_trial_with_nothing_to_ask_goes_straight_to_the_study_team(client, trials_data):
    import_records(study_record("NCT09000020", title="A study with no limits in its record"))
    html = client.get("/trials/NCT09000020/screen/").content.decode()
    assert outcome(html, "NCT09000020") == "needs_more_information"
    assert "Some of this trial's rules are not published" in html_lib.unescape(html)
    assert "Change my answers" not in html


@pytest.mark.parametrize(
    ("months", "days", "unit", "expected"),
    [
        (5, 160, "years", "Your child is 5 months old."),
        (40, 1220, "years", "Your child is 3 years old."),
        (23, 700, "months", "Your child is 23 months old."),
        (1, 34, "weeks", "Your child is 4 weeks old."),
        (0, 20, "days", "Your child is 20 days old."),
        (0, 1, "hours", "Your child is 1 day old."),
    ],
)
def test_a_childs_age_is_said_in_the_unit_that_fits(months, days, unit, expected):
    from trials import eligibility
    from trials.screening import reason_text

    rule = eligibility.Rule("age", "inclusion", "birth_date", "age_at_least", (1, unit), "registry")
    found = eligibility.RuleResult(
        rule, eligibility.Status.MET, eligibility.Reason.AGE, eligibility.Age(months, days, unit)
    )
    assert reason_text(found, None) == expected
