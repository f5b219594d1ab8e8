"""The pre-screener in a real Chromium: both flows, a step back, with and without JavaScript, and axe on every page."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from trials.models import Question

pytestmark = pytest.mark.browser

NEXT = "#screen-form button[name=action][value=next]"
BACK = "#screen-form button[name=action][value=back]"


def no_axe_violations(page):
    """axe needs JavaScript. For a page seen without it, axe checks the same HTML in a second tab that has it."""
    checked = page
    if not getattr(page, "js_enabled", True):
        checked = page.axe_page
        checked.goto(page.url if page.url.startswith("http") else page.base_url + "/")
        checked.set_content(page.content())
    result = Axe().run(checked)
    assert result.violations_count == 0, result.generate_report()


def answer(page, key, value):
    page.check(f'#q-{key} input[value="{value}"]')


def progress(page) -> str:
    return page.inner_text("#step-progress").strip()


@pytest.fixture(params=[True, False], ids=["with-js", "without-js"])
def screen_page(request, browser, live_server, live_trials):
    context = browser.new_context(java_script_enabled=request.param, viewport={"width": 360, "height": 740})
    page = context.new_page()
    context.set_default_timeout(20_000)
    page.base_url = live_server.url
    page.js_enabled = request.param
    helper = browser.new_context(viewport={"width": 360, "height": 740})
    page.axe_page = helper.new_page()
    yield page
    helper.close()
    context.close()


def test_leukemia_flow_with_a_step_back(screen_page):
    page = screen_page
    page.goto(page.base_url + "/screen/")
    assert progress(page) == "Step 1 of 4"
    no_axe_violations(page)
    page.fill("#id_birth_date", "2026-02-10")
    answer(page, "diagnosis", "all")
    page.click(NEXT)

    assert progress(page) == "Step 2 of 4"
    assert page.locator("#q-neuroblastoma_stage").count() == 0
    no_axe_violations(page)
    page.fill("#id_diagnosis_date", "2026-09-01")
    answer(page, "disease_status", "newly_diagnosed")
    page.click(NEXT)

    assert progress(page) == "Step 3 of 4"
    answer(page, "prior_stem_cell_transplant", "no")
    answer(page, "steroids_last_4_weeks", "unsure")
    page.click(BACK)

    # Back on step 2: the answers are still there, and so are those of step 3.
    assert progress(page) == "Step 2 of 4"
    assert page.input_value("#id_diagnosis_date") == "2026-09-01"
    assert page.is_checked('#q-disease_status input[value="newly_diagnosed"]')
    page.click(NEXT)
    assert page.is_checked('#q-steroids_last_4_weeks input[value="unsure"]')
    no_axe_violations(page)
    answer(page, "marrow_failure_syndrome", "no")
    answer(page, "medicine_contraindication", "no")
    page.click(NEXT)

    assert progress(page) == "Step 4 of 4"
    no_axe_violations(page)
    answer(page, "other_interventional_study", "no")
    answer(page, "guardian_consent", "yes")
    page.click(NEXT)

    assert page.get_by_role("heading", name="What we found").is_visible()
    leukemia = page.locator("[data-outcome]").first
    assert leukemia.get_attribute("data-outcome") == "needs_more_information"
    assert "We need more information to tell." in leukemia.inner_text()
    doctor = page.locator(".doctor-questions").inner_text()
    assert "steroids" in doctor
    no_axe_violations(page)


def test_neuroblastoma_flow_and_a_mistake_corrected(screen_page):
    page = screen_page
    page.goto(page.base_url + "/trials/NCT05303727/screen/")
    assert progress(page) == "Step 1 of 3"
    page.fill("#id_birth_date", "2099-01-01")
    answer(page, "diagnosis", "neuroblastoma")
    page.click(NEXT)

    # The message is beside the field and the choice made is kept.
    assert "cannot be in the future" in page.inner_text("#q-birth_date")
    assert page.get_attribute("#id_birth_date", "aria-invalid") == "true"
    assert page.is_checked('#q-diagnosis input[value="neuroblastoma"]')
    no_axe_violations(page)
    page.fill("#id_birth_date", "2019-04-01")
    page.click(NEXT)

    assert progress(page) == "Step 2 of 3"
    no_axe_violations(page)
    answer(page, "neuroblastoma_stage", "stage_4_or_m")
    page.click(BACK)
    assert page.input_value("#id_birth_date") == "2019-04-01"
    page.click(NEXT)
    assert page.is_checked('#q-neuroblastoma_stage input[value="stage_4_or_m"]')
    page.click(NEXT)

    assert progress(page) == "Step 3 of 3"
    for key in ("induction_courses_7_or_more", "tumour_surgery_done", "complete_response_normal_markers"):
        answer(page, key, "yes")
    page.click(NEXT)

    result = page.locator("[data-outcome]")
    assert result.count() == 1
    # Every known rule fits; the others are not published, so the study team must check.
    assert result.get_attribute("data-outcome") == "needs_more_information"
    assert "Your answers fit every rule we know." in result.inner_text()
    assert page.is_visible("text=Contact the study team")
    no_axe_violations(page)


def test_switching_language_keeps_the_answers(screen_page):
    page = screen_page
    page.goto(page.base_url + "/screen/")
    page.fill("#id_birth_date", "2026-02-10")
    answer(page, "diagnosis", "all")
    page.click(NEXT)
    page.fill("#id_diagnosis_date", "2026-09-01")
    page.click(".language-switcher button[lang=ko]")
    assert page.url.endswith("/ko/screen/")
    assert page.is_visible("text=자녀가 진단받은 날짜는 언제인가요?")
    # The language buttons submit the step's own form: the date typed on this step
    # comes along too, with or without JavaScript.
    assert page.input_value("#id_diagnosis_date") == "2026-09-01"
    answer(page, "disease_status", "newly_diagnosed")
    page.click(NEXT)
    page.click(BACK)
    page.click(BACK)
    assert page.input_value("#id_birth_date") == "2026-02-10"
    assert page.is_checked('#q-diagnosis input[value="all"]')
    no_axe_violations(page)


def test_a_question_on_the_same_step_as_its_condition_shows_and_hides_at_once(page, live_server, live_trials):
    # Staff may put a follow-up question on the same step as the answer it depends on.
    Question.objects.filter(key="neuroblastoma_stage").update(step=1)
    page.goto(live_server.url + "/trials/NCT05303727/screen/")
    stage = page.locator("#q-neuroblastoma_stage")
    assert stage.is_visible()  # no diagnosis yet: asked
    answer(page, "diagnosis", "all")
    assert stage.is_hidden()
    answer(page, "diagnosis", "neuroblastoma")
    assert stage.is_visible()
    answer(page, "diagnosis", "unsure")
    assert stage.is_visible()
    assert page.locator("#q-neuroblastoma_stage .show-if-hint").is_hidden()
    no_axe_violations(page)


def test_print_button_appears_only_with_javascript(browser, live_server, live_trials):
    for enabled in (True, False):
        context = browser.new_context(java_script_enabled=enabled)
        page = context.new_page()
        page.goto(live_server.url + "/screen/")
        answer(page, "diagnosis", "other")
        page.click(NEXT)
        # The click starts the form's submission; wait for the result and its scripts before looking at it.
        page.get_by_role("heading", name="What we found").wait_for()
        page.wait_for_load_state()
        assert page.locator(".js-print").is_visible() is enabled
        assert page.is_visible("text=print this page or save it as a PDF")
        context.close()


def test_without_javascript_a_same_step_follow_up_says_when_it_applies_and_is_dropped_after_the_step(
    browser, live_server, live_trials
):
    Question.objects.filter(key="neuroblastoma_stage").update(step=1)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/trials/NCT05303727/screen/")
    hint = page.locator("#q-neuroblastoma_stage .show-if-hint")
    assert hint.is_visible()
    assert "Neuroblastoma or Not sure" in hint.inner_text()
    page.fill("#id_birth_date", "2019-04-01")
    answer(page, "diagnosis", "all")
    answer(page, "neuroblastoma_stage", "stage_4_or_m")
    page.click(NEXT)
    # The stage answer no longer applies: it is left out of the result and of the summary.
    assert page.is_visible("text=What we found")
    assert "Stage 4 or stage M" not in page.inner_text(".your-answers")
    assert page.locator("[data-outcome]").get_attribute("data-outcome") == "does_not_qualify"
    context.close()


ROUTE = ("induction_courses_7_or_more", "tumour_surgery_done", "complete_response_normal_markers")


def test_the_neuroblastoma_route_walked_in_chinese(screen_page, tmp_path):
    # Journeys 2.1: a father in Guangzhou whose child has had 6 courses, surgery not done yet.
    page = screen_page
    page.goto(page.base_url + "/zh-hans/screen/")
    assert progress(page) == "第 1 步，共 4 步"
    page.fill("#id_birth_date", "2022-06-01")
    answer(page, "diagnosis", "neuroblastoma")
    page.click(NEXT)
    assert progress(page) == "第 2 步，共 3 步"
    answer(page, "neuroblastoma_stage", "stage_4_or_m")
    page.click(NEXT)

    assert progress(page) == "第 3 步，共 3 步"
    assert page.is_visible("text=您的孩子是否已经接受了至少7个疗程的诱导化疗（第一阶段化疗）？")
    assert page.is_visible("text=肿瘤标志物是指血液中的NSE和尿液中的VMA。")
    no_axe_violations(page)
    page.screenshot(path=tmp_path / "route-zh.png", full_page=True)
    answer(page, "induction_courses_7_or_more", "no")
    answer(page, "tumour_surgery_done", "no")
    answer(page, "complete_response_normal_markers", "unsure")
    page.click(NEXT)

    result = page.locator("section[data-outcome]")
    assert result.count() == 1  # the leukemia trial is folded below
    assert result.get_attribute("data-outcome") == "needs_more_information"
    assert "您有一项回答了“否”。" in result.inner_text()
    doctor = page.inner_text(".doctor-questions")
    assert "NCT05303727研究已知的那种入组途径" in doctor
    assert "我的孩子是否达到完全缓解" in doctor
    assert "看起来不符合的试验（1）" in page.inner_text("details.not-fitting summary")
    assert page.locator("details.not-fitting").get_attribute("open") is None
    assert "2022年6月1日" in page.inner_text(".your-answers")
    assert "根据您的回答，于" in page.inner_text(".checked-on")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing sideways on a phone
    no_axe_violations(page)
    page.click("details.not-fitting summary")
    assert page.locator(".not-fitting-list").is_visible()  # details unfold without JavaScript too
    no_axe_violations(page)

    # Change one answer: straight back to its step, every answer kept.
    page.click('.your-answers button[value="change:3"] >> nth=0')
    assert progress(page) == "第 3 步，共 3 步"
    assert page.is_checked('#q-induction_courses_7_or_more input[value="no"]')
    for key in ROUTE:
        answer(page, key, "yes")
    page.click(NEXT)
    assert page.locator("section[data-outcome]").get_attribute("data-outcome") == "needs_more_information"
    assert "您的回答符合我们知道的所有标准。" in page.inner_text("section[data-outcome]")
    page.click("#screen-form button[value=change]")
    assert progress(page) == "第 1 步，共 3 步"
    assert page.input_value("#id_birth_date") == "2022-06-01"


def test_a_result_where_nothing_fits_passes_axe_with_the_fold_open(screen_page):
    page = screen_page
    page.goto(page.base_url + "/screen/")
    answer(page, "diagnosis", "aml")
    page.click(NEXT)
    assert page.locator("details.not-fitting").get_attribute("open") is not None
    assert page.locator(".not-fitting-list li").count() == 2
    assert page.locator(".not-fitting-list").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    no_axe_violations(page)
