"""The pre-screener pages: steps, validation, the result, no storage, and the admin's rule checks."""

import html as html_lib
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trials.models import Criterion, Question, Trial
from trials.tests.answers import LEUKEMIA_FIT


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
    return re.search(rf'aria-labelledby="result-{nct_id}" data-outcome="([a-z_]+)"', html).group(1)


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
def test_a_child_with_neuroblastoma_is_asked_the_stage_only(client, trials_data):
    html = post(client, step="1", action="next", birth_date="2021-05-05", diagnosis="neuroblastoma")
    assert step_label(html) == "Step 2 of 2"
    assert asked(html) == {"neuroblastoma_stage"}
    html = post(
        client,
        step="2",
        action="next",
        birth_date="2021-05-05",
        diagnosis="neuroblastoma",
        neuroblastoma_stage="stage_4_or_m",
    )
    assert outcome(html, "NCT05303727") == "may_qualify"
    assert "The study team checks the rest" in html
    assert "7 courses" in html
    assert outcome(html, "NCT06516679") == "does_not_qualify"


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
    assert step_label(html) == "Step 1 of 2"
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
def test_an_unknown_trial_is_not_found(client, trials_data):
    assert client.get("/trials/NCT00000000/screen/").status_code == 404


@pytest.mark.django_db
def test_tampered_steps_do_not_break_the_page(client, trials_data):
    # Unknown steps start from the first step; unknown actions mean "next".
    assert "Step 2 of 4" in post(client, step="99", action="next")
    assert "Step 2 of 4" in post(client, step="x", action="jump")
    assert "Step 1 of 4" in post(client, step="2", action="back")
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


# ---------------------------------------------------------------------------
# The result


@pytest.mark.django_db
def test_the_result_lists_every_criterion_with_a_reason_and_questions_for_the_doctor(client, trials_data):
    answers = {**LEUKEMIA_FIT, "steroids_last_4_weeks": "unsure", "guardian_consent": ""}
    html = post(client, step="4", action="next", **answers)
    assert outcome(html, "NCT06516679") == "needs_more_information"
    assert "We need more information to tell." in html
    criteria = Criterion.objects.filter(trial__nct_id="NCT06516679", question__isnull=False).count()
    leukemia = html[html.index('id="result-NCT06516679"') : html.index('id="result-NCT05303727"')]
    assert leukemia.count('class="criterion criterion-') == criteria
    assert leukemia.count("criterion-unknown") == 2
    assert "Your child was diagnosed at 6 months old." in leukemia
    assert "You answered “Not sure”." in leukemia
    assert "Not answered. It may not have been asked, because of an earlier answer." in leukemia
    doctor = html[html.index('id="doctor-heading"') :]
    doctor = doctor[: doctor.index("</section>")]
    steroids = Question.objects.get(key="steroids_last_4_weeks").doctor_question
    consent = Question.objects.get(key="guardian_consent").doctor_question
    assert steroids.replace("'", "&#x27;") in doctor
    assert consent in doctor
    assert doctor.count("<li>") == 2


@pytest.mark.django_db
def test_the_way_forward_carries_no_answers_unless_ticked(client, trials_data):
    html = post(client, step="4", action="next", **LEUKEMIA_FIT)
    form = re.search(r'<form method="post" action="/trials/NCT06516679/contact/".*?</form>', html, re.S).group(0)
    assert 'name="from_prescreen" value="1"' in form
    checkbox = re.search(r'<input class="form-check-input" type="checkbox" name="prescreen_summary"[^>]*>', form).group(
        0
    )
    assert "checked" not in checkbox
    assert "2026-02-10" in checkbox and "Acute lymphoblastic leukemia (ALL)" in checkbox
    # No other field of the way forward carries an answer.
    assert "2026-02-10" not in form.replace(checkbox, "")


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
def test_change_my_answers_goes_back_to_the_last_step(client, trials_data):
    html = post(client, step="result", action="back", **LEUKEMIA_FIT)
    assert step_label(html) == "Step 4 of 4"
    assert re.search(r'name="guardian_consent" id="[^"]+" value="yes" checked', html)


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
    client.force_login(user)
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
    assert Criterion.objects.filter(trial=trial, key__in=["new-rule", "team-check"]).count() == 2


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
    assert "Acute lymphoblastic leukemia (ALL)" in ticked and "2026-09-01" in ticked
    unticked = client.post(form.group(1), {"from_prescreen": "1"}).content.decode()
    assert "The summary of your answers" not in unticked and "2026-09-01" not in unticked


@pytest.mark.django_db
def test_a_trial_with_nothing_to_ask_goes_straight_to_the_study_team(client, trials_data):
    Criterion.objects.filter(trial__nct_id="NCT05303727").exclude(key="treatment_response").delete()
    html = client.get("/trials/NCT05303727/screen/").content.decode()
    assert outcome(html, "NCT05303727") == "may_qualify"
    assert "The study team checks the rest" in html


def test_a_babys_age_is_said_in_months(client, trials_data):
    from trials import eligibility
    from trials.views.screening import reason_text

    rule = eligibility.Rule(
        key="age", kind="inclusion", question="birth_date", operator="age_at_most_years", values=(18,)
    )
    baby = eligibility.RuleResult(rule, eligibility.Status.MET, eligibility.Reason.AGE_YEARS, 5)
    child = eligibility.RuleResult(rule, eligibility.Status.MET, eligibility.Reason.AGE_YEARS, 40)
    assert reason_text(baby, None) == "Your child is 5 months old."
    assert reason_text(child, None) == "Your child is 3 years old."
