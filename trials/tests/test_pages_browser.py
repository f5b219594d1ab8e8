"""The foundation pages in a real browser: Debian's Chromium driven by Playwright."""

import gzip
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe

from trials.bench.weight import BUDGET
from trials.models import Criterion

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_trials")]

PAGES = ["/", "/trials/", "/trials/NCT06516679/", "/trials/NCT05303727/", "/faq/", "/glossary/", "/privacy/", "/about/"]
LANGUAGES = {"en": "", "ko": "/ko", "zh-hans": "/zh-hans"}
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def assert_no_axe_violations(page):
    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()


def assert_fits_the_screen(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_every_page_opens_fits_a_phone_and_has_no_axe_violation(live_server, phone, path, language):
    url = live_server.url + LANGUAGES[language] + path
    response = phone.goto(url)
    assert response.status == 200
    assert phone.get_attribute("html", "lang") == language
    assert phone.locator("h1").count() == 1
    assert_fits_the_screen(phone)
    assert_no_axe_violations(phone)


def test_filter_on_trial_list(live_server, page):
    page.goto(live_server.url + "/trials/")
    assert page.locator("article.trial-card").count() == 2
    page.get_by_label("Condition").select_option("neuroblastoma")
    page.get_by_role("button", name="Show trials").click()
    page.wait_for_url("**/trials/?*condition=neuroblastoma*")
    cards = page.locator("article.trial-card")
    assert cards.count() == 1
    assert "NCT05303727" in cards.first.inner_text()

    page.get_by_label("Condition").select_option("")
    page.get_by_label("Child's age").fill("3")
    page.get_by_label("Age in").select_option("years")
    page.get_by_role("button", name="Show trials").click()
    assert page.locator("article.trial-card").count() == 1
    assert "NCT05303727" in page.locator("article.trial-card").first.inner_text()

    page.get_by_label("Child's age").fill("-4")
    page.get_by_role("button", name="Show trials").click()
    # The browser's own check stops a negative age before it is sent.
    assert page.get_by_label("Child's age").evaluate("el => el.validity.valid") is False


def test_pathway_picture_and_its_text_equivalent(live_server, page):
    page.goto(live_server.url + "/trials/NCT06516679/")
    picture = page.locator(".pathway[role=img]")
    assert picture.is_visible()
    assert "written out as a list below" in picture.get_attribute("aria-label")
    groups = picture.locator(".pathway-group")
    assert groups.count() == 3
    text_version = page.locator("details.pathway-text")
    assert text_version.is_visible()
    for index in range(3):
        group = groups.nth(index)
        name = group.locator("h3").inner_text()
        steps = group.locator(".pathway-step")
        assert steps.count() >= 2
        # Every step drawn in the picture is also written in the text version.
        assert name in text_version.inner_text()
        for step in range(steps.count()):
            label = steps.nth(step).inner_text().split("\n")[0]
            assert label in text_version.inner_text()
    transplant = picture.locator(".pathway-step-transplant")
    assert transplant.count() == 1
    # The picture is real text, not an image of text.
    assert picture.locator("img").count() == 0


def test_the_whole_trial_page_works_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/trials/NCT05303727/")
    assert page.get_by_role("heading", name="Who can take part").is_visible()
    for criterion in Criterion.objects.filter(trial__nct_id="NCT05303727"):
        assert page.get_by_text(criterion.text, exact=False).first.is_visible()
    page.locator("details.faq-item summary").first.click()
    assert page.locator("details.faq-item").first.get_attribute("open") is not None
    context.close()


def test_keyboard_reaches_the_skip_link_first(live_server, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to the main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize("path", PAGES)
def test_page_weight_is_small_and_nothing_comes_from_another_host(live_server, browser, path):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(live_server.url + path, wait_until="networkidle")
    server_host = urlparse(live_server.url).netloc
    hosts = {urlparse(r.url).netloc for r in responses}
    assert hosts == {server_host}
    # What a browser downloads, compressed as whitenoise and a proxy serve it.
    total = sum(len(gzip.compress(r.body(), 9)) for r in responses if r.status == 200)
    context.close()
    assert total <= BUDGET, f"{path} weighs {total:,} bytes compressed"


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_sites_page_of_a_trial_with_many_hospitals_searches_and_pages(live_server, phone, language):
    from trials.models import Site, Trial
    from trials.tests.conftest import clear_caches

    trial = Trial.objects.get(nct_id="NCT05303727")
    Site.objects.bulk_create(
        Site(trial=trial, facility_en=f"Hospital {n}", city_en=["Busan", "Daegu", "Incheon"][n % 3], country_en="China")
        for n in range(120)
    )
    clear_caches()
    prefix = LANGUAGES[language]
    phone.goto(f"{live_server.url}{prefix}/trials/NCT05303727/")
    phone.click(f"a[href='{prefix}/trials/NCT05303727/sites/']")
    assert phone.locator(".site-table > li").count() == 50
    assert_fits_the_screen(phone)
    assert_no_axe_violations(phone)
    phone.click("a[rel=next]")
    assert phone.locator(".site-table > li").count() == 50
    phone.fill("#q", "Daegu")
    phone.press("#q", "Enter")
    phone.wait_for_load_state()
    assert phone.locator(".site-table > li").count() == 40
    assert "Daegu" in phone.inner_text(".site-table")
    assert "Busan" not in phone.inner_text(".site-table")
    assert_no_axe_violations(phone)
