"""The contact flow in Debian's Chromium: place -> sites by distance -> message -> sent page.

With JavaScript and without; axe on every page the guardian sees.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from trials.models import ContactMessage, Site, Trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NCT = "NCT05303727"


@pytest.fixture
def synthetic_far_site(live_trials):
    """A second, clearly synthetic site far from Guangzhou, so there is an order to see."""
    trial = Trial.objects.get(nct_id=NCT)
    return Site.objects.create(
        trial=trial,
        facility="Synthetic test site (Seoul)",
        city="Seoul",
        country="Korea, Republic of",
        latitude=37.56,
        longitude=126.97,
        team_email="synthetic-team@example.org",
        team_email_verified=True,
    )


def assert_accessible(page):
    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()


def assert_fits_360(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def write_message(page, *, phone):
    page.get_by_label("Parent", exact=True).check()
    page.get_by_label("First name").fill("민준")
    page.get_by_label("Family name").fill("김")
    page.locator("#id_email").fill("minjun.parent@example.com")
    page.get_by_label("Phone number").fill(phone)
    page.get_by_label("Preferred language").select_option("ko")
    page.locator("#id_message").fill("아이가 생후 8개월입니다. 참여할 수 있는지 알고 싶습니다.")


def test_guardian_finds_the_nearest_site_and_writes(live_server, page, synthetic_far_site):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}/trials/{NCT}/contact/")
    assert_accessible(page)
    assert_fits_360(page)

    page.get_by_label("Your location").fill("Guangzhou")
    page.get_by_role("button", name="Find sites near me").click()
    expect(page.get_by_text("Sites nearest to Guangzhou, China come first.")).to_be_visible()
    options = page.locator(".site-option label").all_inner_texts()
    assert options[0].startswith("Sun Yat-Sen Memorial Hospital") and options[1] == "Synthetic test site (Seoul)"
    expect(page.locator(".site-option").first).to_contain_text("Recruiting status not known")
    expect(page.locator(".site-option").nth(1)).to_contain_text(re.compile(r"about 2,?0\d\d km away"))
    # No site is recruiting: nothing is chosen for the guardian.
    assert page.locator('input[name="site"]:checked').count() == 0
    assert_accessible(page)
    assert_fits_360(page)

    page.locator(".site-option label").first.click()
    consent = page.locator('label[for="id_consent"]')
    expect(consent).to_contain_text(
        "I agree that my details are sent to the study team at Sun Yat-Sen Memorial Hospital"
    )
    write_message(page, phone="12345")
    page.get_by_label(re.compile("I agree that my details are sent")).check()
    page.get_by_role("button", name="Send message").click()

    expect(page.locator("#div_id_phone")).to_contain_text("country code")
    # The summary at the top lists the error, links to the field, and has the focus.
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_phone")).to_be_in_viewport()
    assert page.get_by_label("First name").input_value() == "민준"
    assert page.locator("#id_message").input_value().startswith("아이가")
    assert page.locator('input[name="site"]:checked').get_attribute("data-site-name").startswith("Sun Yat-Sen")
    assert ContactMessage.objects.count() == 0
    assert_accessible(page)

    page.get_by_label("Phone number").fill("+82 10-1234-5678")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("heading", name="We have passed on your message")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "We are sending your message to the study team at Sun Yat-Sen Memorial Hospital of Sun Yat-Sen University."
    )
    expect(page.locator("main")).to_contain_text("A copy is on its way to minjun.parent@example.com.")
    assert "example.com" not in page.url
    assert_accessible(page)
    message = ContactMessage.objects.get()
    assert (message.last_name + message.first_name, message.phone, message.site.city) == (
        "김민준",
        "+821012345678",
        "Guangzhou",
    )
    expect(page.locator("main")).to_contain_text(message.reference)


def test_changing_site_renames_the_team_in_the_consent_box(live_server, page, synthetic_far_site):
    page.goto(f"{live_server.url}/trials/{NCT}/contact/?location=Guangzhou")
    page.locator(".site-option label").first.click()
    page.get_by_label(re.compile("I agree that my details are sent")).check()
    page.locator(".site-option label").nth(1).click()
    consent = page.locator("#id_consent")
    expect(page.locator('label[for="id_consent"]')).to_contain_text("study team at Synthetic test site (Seoul).")
    assert not consent.is_checked()  # consent to one team is not consent to another


def test_without_javascript_with_an_ambiguous_place(live_server, browser, synthetic_far_site):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/trials/{NCT}/contact/")
        # The device-location button needs JavaScript, so it stays hidden.
        expect(page.get_by_role("button", name="Use my device's location")).to_be_hidden()
        page.get_by_label("Your location").fill("廣州")
        page.get_by_role("button", name="Find sites near me").click()
        expect(page.get_by_text("More than one place has this name")).to_be_visible()
        page.get_by_role("button", name="Gwangju, South Korea").click()
        expect(page.get_by_text("Sites nearest to Gwangju, South Korea come first.")).to_be_visible()
        assert page.locator(".site-option label").first.inner_text() == "Synthetic test site (Seoul)"

        page.locator(".site-option label").nth(1).click()
        write_message(page, phone="+82 10-1234-5678")
        page.get_by_label(re.compile("I agree that my details are sent to the study team at the site I choose")).check()
        page.get_by_role("button", name="Send message").click()
        expect(page.get_by_role("heading", name="We have passed on your message")).to_be_visible()
        expect(page.locator("main")).to_contain_text("study team at Sun Yat-Sen Memorial Hospital")
        message = ContactMessage.objects.get()
        assert message.location_text == "Gwangju, South Korea"  # the chosen place's name, not coordinates
        # axe needs JavaScript; the same pages are checked in the tests above and below.
        assert ContactMessage.objects.get().latitude == pytest.approx(37.41, abs=0.01)
    finally:
        context.close()


def test_device_location_fills_coordinates_after_the_button(live_server, browser, synthetic_far_site):
    context = browser.new_context(geolocation={"latitude": 37.55, "longitude": 126.99}, permissions=["geolocation"])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/trials/{NCT}/contact/")
        assert page.get_by_label("Your location").input_value() == ""  # nothing asked before the button
        page.get_by_role("button", name="Use my device's location").click()
        expect(page.get_by_text(re.compile("Sites nearest to .* come first"))).to_be_visible()
        # The position was rounded to about 1 km in the browser, and is shown as the nearest place.
        assert page.get_by_label("Your location").input_value() == "Seoul, South Korea"
        assert "126.99" not in page.content()
        assert page.locator(".site-option label").first.inner_text() == "Synthetic test site (Seoul)"
        assert_accessible(page)
        # The page that offers candidates for an ambiguous name.
        page.goto(f"{live_server.url}/trials/{NCT}/contact/?location=廣州")
        expect(page.get_by_role("button", name="Guangzhou, China")).to_be_visible()
        assert_accessible(page)
        page.goto(f"{live_server.url}/zh-hans/trials/{NCT}/contact/?location=廣州")
        expect(page.get_by_role("button", name="广州（中国）")).to_be_visible()
        assert_accessible(page)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("prefix", "family_label", "sent"), [("/ko", "성", "메시지를 전달했어요"), ("/zh-hans", "姓", "我们已转交您的留言")]
)
@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_korean_name_a_wrong_phone_and_the_enter_key_at_360px(
    live_server, browser, live_trials, prefix, family_label, sent, javascript
):
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{prefix}/trials/{NCT}/contact/?location=서울")
        labels = page.locator("form label").all_inner_texts()
        assert [label.rstrip("*") for label in labels].index(family_label) < len(labels)
        page.locator("#id_relationship_0").check()
        page.fill("#id_last_name", "김")
        page.fill("#id_first_name", "민준")
        page.fill("#id_email", "minjun@example.com")
        page.fill("#id_phone", "010-1234")  # too short
        page.fill("#id_message", "아이가 생후 8개월입니다.")
        page.locator('input[name="site"]').first.check()
        page.check("#id_consent")
        page.press("#id_phone", "Enter")  # Enter finds sites: nothing is lost, nothing is judged yet
        page.wait_for_load_state()
        assert page.url.startswith(f"{live_server.url}{prefix}/")
        assert page.input_value("#id_last_name") == "김" and page.locator("#error-summary").count() == 0
        page.locator('input[name="site"]').first.check()
        if not page.is_checked("#id_consent"):
            page.check("#id_consent")
        page.locator("button[name=action][value=send]").click()
        summary = page.locator("#error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        if javascript:
            assert_accessible(page)
        assert_fits_360(page)
        page.screenshot(
            path=f"/tmp/contact-{prefix.strip('/')}-{'js' if javascript else 'nojs'}-error.png", full_page=True
        )
        page.fill("#id_phone", "010-1234-5678")
        page.locator("button[name=action][value=send]").click()
        expect(page.get_by_role("heading", name=sent)).to_be_visible()
        if javascript:
            assert_accessible(page)
        assert_fits_360(page)
        page.screenshot(
            path=f"/tmp/contact-{prefix.strip('/')}-{'js' if javascript else 'nojs'}-sent.png", full_page=True
        )
        message = ContactMessage.objects.get()
        assert message.phone == "+821012345678"  # read as Korean: the guardian is in Seoul, though the site is in China
    finally:
        context.close()
