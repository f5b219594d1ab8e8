"""Korean and Chinese in a real Chromium: the pre-screen and the contact form walked through,
languages switched mid-flow, axe, 360-pixel screens and CJK glyphs."""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from trials.models import ContactMessage

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_trials")]

PREFIX = {"en": "", "ko": "/ko", "zh-hans": "/zh-hans"}
TRIALS = ["NCT06516679", "NCT05303727"]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
NEXT = "#screen-form button[name=action][value=next]"
BACK = "#screen-form button[name=action][value=back]"

# What each language shows at known points of the flows (from the .po files and the content).
WORDS = {
    "ko": {
        "step1": "4단계 중 1단계",
        "step2": "4단계 중 2단계",
        "result": "확인 결과",
        "more_info": "알려 드리려면 정보가 더 필요합니다.",
        "diagnosis_date": "자녀가 진단받은 날짜는 언제인가요?",
        "bad_email": "이메일 주소를 확인해 주세요.",
        "sent": "메시지를 전달했어요",
        "place": "서울",
    },
    "zh-hans": {
        "step1": "第 1 步，共 4 步",
        "step2": "第 2 步，共 4 步",
        "result": "查询结果",
        "more_info": "需要更多信息才能判断。",
        "diagnosis_date": None,
        "bad_email": "请检查电子邮件地址。",
        "sent": "我们已转交您的留言",
        "place": "首尔",
    },
}


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def no_axe_violations(page):
    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()


def assert_language(page, code):
    assert page.get_attribute("html", "lang") == code
    # Anything shown in another language says so, for screen readers and fonts.
    switcher = page.locator(".language-switcher [lang]")
    assert switcher.count() == 3


def answer(page, key, value):
    page.check(f'#q-{key} input[value="{value}"]')


def progress(page) -> str:
    return page.inner_text("#step-progress").strip()


# --- the pre-screen ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ko", "zh-hans"])
def test_prescreen_walked_through_in_korean_and_chinese(phone, live_server, code):
    page, words = phone, WORDS[code]
    page.goto(f"{live_server.url}{PREFIX[code]}/screen/")
    assert_language(page, code)
    assert progress(page) == words["step1"]
    no_axe_violations(page)

    # A mistake first: the message is in the guardian's language, beside the field.
    page.fill("#id_birth_date", "2099-01-01")
    answer(page, "diagnosis", "all")
    page.click(NEXT)
    error = page.inner_text("#q-birth_date .field-error")
    assert re.search(r"[\uac00-\ud7a3\u4e00-\u9fff]", error), error
    assert "future" not in error
    assert page.is_checked('#q-diagnosis input[value="all"]')
    no_axe_violations(page)

    page.fill("#id_birth_date", "2026-02-10")
    page.click(NEXT)
    assert progress(page) == words["step2"]
    page.fill("#id_diagnosis_date", "2026-09-01")
    answer(page, "disease_status", "newly_diagnosed")
    page.click(NEXT)
    answer(page, "prior_stem_cell_transplant", "no")
    answer(page, "steroids_last_4_weeks", "unsure")
    answer(page, "marrow_failure_syndrome", "no")
    answer(page, "medicine_contraindication", "no")
    page.click(NEXT)
    no_axe_violations(page)
    answer(page, "other_interventional_study", "no")
    answer(page, "guardian_consent", "yes")
    page.click(NEXT)

    assert page.get_by_role("heading", name=words["result"], exact=True).is_visible()
    leukemia = page.locator("[data-outcome]").first
    assert leukemia.get_attribute("data-outcome") == "needs_more_information"
    assert words["more_info"] in leukemia.inner_text()
    assert_language(page, code)
    no_axe_violations(page)


def test_prescreen_switching_languages_mid_flow_keeps_every_answer(phone, live_server):
    page = phone
    page.goto(f"{live_server.url}/ko/screen/")
    page.fill("#id_birth_date", "2026-02-10")
    answer(page, "diagnosis", "all")
    page.click(NEXT)
    assert page.is_visible(f"text={WORDS['ko']['diagnosis_date']}")
    page.fill("#id_diagnosis_date", "2026-09-01")
    answer(page, "disease_status", "newly_diagnosed")

    page.click(".language-switcher button[lang=zh-hans]")
    page.wait_for_url("**/zh-hans/screen/")
    assert_language(page, "zh-hans")
    assert progress(page) == WORDS["zh-hans"]["step2"]
    assert page.input_value("#id_diagnosis_date") == "2026-09-01"
    assert page.is_checked('#q-disease_status input[value="newly_diagnosed"]')
    no_axe_violations(page)

    page.click(".language-switcher button[lang=en]")
    page.wait_for_url(re.compile(r".*/screen/$"))
    assert_language(page, "en")
    page.click(BACK)
    assert page.input_value("#id_birth_date") == "2026-02-10"
    assert page.is_checked('#q-diagnosis input[value="all"]')
    page.click(NEXT)
    assert page.input_value("#id_diagnosis_date") == "2026-09-01"
    # The choice is remembered in the language cookie, and only there.
    names = {cookie["name"] for cookie in page.context.cookies()}
    assert "sessionid" not in names
    assert "django_language" in names


# --- the contact form ---------------------------------------------------------------------------


def fill_contact(page, *, email="guardian@example.com"):
    page.check("#id_relationship_0")
    page.fill("#id_first_name", "민준")
    page.fill("#id_last_name", "김")
    page.fill("#id_email", email)
    page.fill("#id_phone", "+82 10-1234-5678")
    page.fill("#id_message", "우리 아이가 이 연구에 참여할 수 있을까요? 我们想了解更多。")


@pytest.mark.parametrize("code", ["ko", "zh-hans"])
def test_contact_form_walked_through_in_korean_and_chinese(phone, live_server, code):
    page, words = phone, WORDS[code]
    page.goto(f"{live_server.url}{PREFIX[code]}/trials/NCT06516679/contact/")
    assert_language(page, code)
    no_axe_violations(page)

    page.fill("#id_location", words["place"])
    page.click("#find-sites")
    assert page.locator(".site-distance").count() >= 1
    page.locator('input[name="site"]').first.check()
    fill_contact(page, email="not-an-address")
    page.select_option("#id_preferred_language", code)
    page.check("#id_consent")
    page.click("button[name=action][value=send]")

    # Bad input: explained in the guardian's language, and nothing typed is lost.
    assert words["bad_email"] in page.inner_text("form.contact-form")
    assert page.input_value("#id_first_name") == "민준"
    assert "我们想了解更多" in page.input_value("#id_message")
    no_axe_violations(page)

    page.fill("#id_email", "guardian@example.com")
    if not page.is_checked("#id_consent"):
        page.check("#id_consent")
    page.click("button[name=action][value=send]")
    assert page.get_by_role("heading", name=words["sent"]).is_visible()
    assert_language(page, code)
    no_axe_violations(page)
    message = ContactMessage.objects.get(email="guardian@example.com")
    assert message.language == code
    assert message.preferred_language == code


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_contact_form_switching_language_keeps_what_was_typed(browser, live_server, javascript):
    page = browser.new_context(java_script_enabled=javascript, **PHONE).new_page()
    page.goto(f"{live_server.url}/ko/trials/NCT06516679/contact/")
    page.fill("#id_location", "서울")
    fill_contact(page)
    page.locator(".language-switcher [lang=zh-hans]").click()
    page.wait_for_url("**/zh-hans/trials/NCT06516679/contact/**")
    assert_language(page, "zh-hans")
    assert page.input_value("#id_first_name") == "민준"
    assert page.input_value("#id_email") == "guardian@example.com"
    assert page.input_value("#id_location") == "서울"
    assert "我们想了解更多" in page.input_value("#id_message")
    # Switching is not sending: no field is judged yet.
    assert page.locator(".invalid-feedback:visible, #contact-errors").count() == 0
    page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
@pytest.mark.parametrize("code", ["ko", "zh-hans"])
def test_enter_in_a_contact_field_finds_sites_and_keeps_the_language(browser, live_server, code, javascript):
    """On a phone keyboard "Go" after typing a city is implicit submission: it must never press a language button."""
    page = browser.new_context(java_script_enabled=javascript, **PHONE).new_page()
    page.goto(f"{live_server.url}{PREFIX[code]}/trials/NCT06516679/contact/")
    page.fill("#id_first_name", "민준")
    page.fill("#id_location", "부산")
    page.press("#id_location", "Enter")
    page.wait_for_load_state()
    assert_language(page, code)
    assert page.url.startswith(f"{live_server.url}{PREFIX[code]}/trials/NCT06516679/contact/")
    assert "331" in page.inner_text(".site-list")  # Severance is about 331 km from Busan
    assert page.input_value("#id_first_name") == "민준"
    assert ContactMessage.objects.count() == 0
    page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
@pytest.mark.parametrize("code", ["ko", "zh-hans"])
def test_enter_in_a_prescreen_field_goes_to_the_next_step_in_the_same_language(browser, live_server, code, javascript):
    page = browser.new_context(java_script_enabled=javascript, **PHONE).new_page()
    page.goto(f"{live_server.url}{PREFIX[code]}/screen/")
    answer(page, "diagnosis", "all")
    page.fill("#id_birth_date", "2026-02-10")
    page.press("#id_birth_date", "Enter")
    page.wait_for_load_state()
    assert_language(page, code)
    assert progress(page) == WORDS[code]["step2"]
    page.context.close()


# --- small screens and glyphs -------------------------------------------------------------------

# A block whose own text is wider than the block, or any text outside the screen.
# (A Bootstrap .row sticks out by its gutter on purpose; it holds no text itself.)
OVERFLOWS = """() => {
  const found = [];
  const describe = (el) => `${el.tagName.toLowerCase()}.${el.className}`;
  const ownText = (el) => Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden" || el.clientWidth === 0) continue;
    if (style.overflowX !== "visible") continue;  // scrolls or clips on purpose
    if (!/^(block|flex|grid|list-item|flow-root|table-cell)$/.test(style.display)) continue;
    if (ownText(el) && el.scrollWidth > el.clientWidth + 1) {
      found.push(`${describe(el)}: ${el.scrollWidth} > ${el.clientWidth}: ${el.textContent.trim().slice(0, 60)}`);
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const width = document.documentElement.clientWidth;
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    // Skip links, screen-reader-only text and the spam trap sit off the screen on purpose.
    const offScreenOnPurpose = parent.closest(".visually-hidden, .visually-hidden-focusable, [aria-hidden=true]");
    if (!node.textContent.trim() || !parent.checkVisibility() || offScreenOnPurpose) continue;
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      if (rect.width && (rect.left < -1 || rect.right > width + 1)) {
        found.push(`text off the screen in ${describe(parent)}: ${node.textContent.trim().slice(0, 60)}`);
        break;
      }
    }
  }
  return {found, width: document.documentElement.scrollWidth};
}"""

# Draws each character and compares it with the "missing glyph" box of the same font.
MISSING_GLYPHS = """([selector]) => {
  const el = document.querySelector(selector);
  const font = getComputedStyle(el).fontFamily;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 48;
  const ctx = canvas.getContext("2d");
  const draw = (ch) => {
    ctx.clearRect(0, 0, 48, 48);
    ctx.font = `32px ${font}`;
    ctx.fillText(ch, 4, 36);
    return Array.from(ctx.getImageData(0, 0, 48, 48).data).join(",");
  };
  const tofu = draw("\\u{10FFFD}");
  const chars = [...new Set(el.textContent.replace(/\\s/g, ""))];
  return {font, count: chars.length, missing: chars.filter((ch) => draw(ch) === tofu)};
}"""


@pytest.mark.parametrize("code", PREFIX)
@pytest.mark.parametrize(
    "path", [f"/trials/{nct_id}/" for nct_id in TRIALS] + ["/screen/", "/trials/NCT06516679/contact/"]
)
def test_pages_fit_a_360_pixel_screen_in_every_language(phone, live_server, tmp_path, path, code):
    page = phone
    page.goto(f"{live_server.url}{PREFIX[code]}{path}")
    assert_language(page, code)
    # Open the folded parts too, so their text is measured.
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    page.screenshot(path=tmp_path / f"{path.strip('/').replace('/', '-')}-{code}.png", full_page=True)
    result = page.evaluate(OVERFLOWS)
    assert result["width"] <= 360, f"the page is {result['width']}px wide"
    assert not result["found"], "\n".join(result["found"])
    # The measure catches a line that cannot wrap.
    page.evaluate(
        "() => { const p = document.createElement('p'); p.className = 'probe'; p.style.whiteSpace = 'nowrap';"
        " p.textContent = '미세잔존질환 '.repeat(20); document.querySelector('main').append(p); }"
    )
    assert any(found.startswith("p.probe") for found in page.evaluate(OVERFLOWS)["found"])


@pytest.mark.parametrize(
    ("code", "sample"),
    [("ko", "한국어 미세잔존질환 조혈모세포이식"), ("zh-hans", "简体中文 微小残留病 造血干细胞移植")],
)
def test_korean_and_chinese_render_with_no_missing_glyphs(phone, live_server, code, sample):
    page = phone
    page.goto(f"{live_server.url}{PREFIX[code]}/trials/NCT06516679/")
    for selector in ("h1", "main p", ".site-footer p"):
        result = page.evaluate(MISSING_GLYPHS, [selector])
        assert result["count"] > 0
        assert not result["missing"], f"{selector} in {result['font']}: {result['missing']}"
    # The test can fail: a character no installed font has is caught.
    page.evaluate(
        "([text]) => { const p = document.createElement('p'); p.id = 'probe'; p.textContent = text;"
        " document.querySelector('main').append(p); }",
        [sample + "\U0010fffd"],
    )
    probe = page.evaluate(MISSING_GLYPHS, ["#probe"])
    assert probe["missing"] == ["\U0010fffd"]


def test_fonts_come_only_from_this_site(phone, live_server):
    page = phone
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    for code in ("ko", "zh-hans"):
        page.goto(f"{live_server.url}{PREFIX[code]}/trials/NCT05303727/")
    assert requests
    assert all(url.startswith(live_server.url) for url in requests), [u for u in requests if live_server.url not in u]


@pytest.mark.parametrize("code", ["ko", "zh-hans"])
def test_dates_on_a_trial_page_follow_the_locale_in_the_browser(phone, live_server, code):
    page = phone
    page.goto(f"{live_server.url}{PREFIX[code]}/trials/NCT05303727/")
    text = page.inner_text("main")
    expected = {"ko": "2027년 3월 1일", "zh-hans": "2027年3月1日"}[code]
    assert expected in text
    today = datetime.date.today()
    assert f"{today.year}" in text
