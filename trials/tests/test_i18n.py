"""Korean and Chinese pages: choosing a language, alternates, dates, messages and review notes."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings

from trials.models import Trial
from trials.tests.answers import LEUKEMIA_FIT
from trials.tests.conftest import clear_caches

pytestmark = pytest.mark.usefixtures("trials_data")

PAGES = [
    "/",
    "/trials/",
    "/trials/NCT06516679/",
    "/trials/NCT05303727/",
    "/faq/",
    "/glossary/",
    "/privacy/",
    "/about/",
    "/screen/",
    "/trials/NCT06516679/screen/",
    "/trials/NCT06516679/contact/",
    "/trials/NCT05303727/contact/",
]
PREFIX = {"en": "", "ko": "/ko", "zh-hans": "/zh-hans"}
COOKIE = settings.LANGUAGE_COOKIE_NAME


def get(client, url, **headers):
    clear_caches()
    return client.get(url, **headers)


class VisibleText(HTMLParser):
    """The text a reader sees, minus parts marked lang="en" (registry facts, English names)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.skipping: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        english = dict(attrs).get("lang", "").startswith("en")
        self.skipping.append(english or tag in ("script", "style", "head") or bool(self.skipping and self.skipping[-1]))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.skipping:
            self.skipping.pop()

    def handle_data(self, data):
        if not (self.skipping and self.skipping[-1]):
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return re.sub(r"\s+", " ", " ".join(parser.parts))


# --- choosing a language ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "target"),
    [
        ("ko", "/ko/"),
        ("ko-KR,ko;q=0.9,en-US;q=0.8", "/ko/"),
        ("zh-CN,zh;q=0.9", "/zh-hans/"),
        ("zh-Hans", "/zh-hans/"),
        ("fr-FR,de;q=0.5,ko;q=0.3", "/ko/"),
    ],
)
def test_first_visit_follows_accept_language(client, accept, target):
    response = get(client, "/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 302
    assert response["Location"] == target
    assert "Accept-Language" in response["Vary"]
    assert not response.cookies


@pytest.mark.parametrize("accept", ["en", "en-GB,en;q=0.9", "fr-FR,de;q=0.5", ""])
def test_english_or_unknown_languages_stay_on_the_english_page(client, accept):
    response = get(client, "/trials/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


def test_a_deep_link_keeps_its_page_and_query_when_redirected(client):
    response = get(client, "/trials/?age=6&age_unit=months", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response["Location"] == "/zh-hans/trials/?age=6&age_unit=months"


def test_a_prefixed_page_is_never_redirected_by_accept_language(client):
    response = get(client, "/ko/trials/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 200
    assert '<html lang="ko">' in response.content.decode()


@pytest.mark.parametrize(
    ("page", "code", "target"),
    [
        ("/trials/NCT06516679/", "ko", "/ko/trials/NCT06516679/"),
        ("/ko/faq/", "zh-hans", "/zh-hans/faq/"),
        ("/zh-hans/glossary/", "en", "/glossary/"),
    ],
)
def test_the_switcher_keeps_the_page_and_sets_only_the_language_cookie(client, page, code, target):
    html = get(client, page).content.decode()
    link = re.search(rf'<a href="([^"]+)" lang="{code}" hreflang="{code}">', html).group(1)
    response = get(client, link.replace("&amp;", "&"))
    assert response.status_code == 302
    assert response["Location"] == target
    assert set(response.cookies) == {COOKIE}
    assert response.cookies[COOKIE].value == code
    assert response.cookies[COOKIE]["httponly"]
    page = client.get(target)
    assert page.status_code == 200
    assert f'<html lang="{code}">' in page.content.decode()
    assert not page.cookies
    assert set(client.cookies) == {COOKIE}


def test_the_switcher_never_sends_the_guardian_to_another_site(client):
    response = get(client, "/language/ko/?next=https://evil.example/")
    assert response["Location"] == "/ko/"


def test_the_switcher_links_point_at_the_same_page(client):
    html = get(client, "/ko/trials/NCT05303727/").content.decode()
    assert 'href="/language/en/?next=/trials/NCT05303727/"' in html
    assert 'href="/language/zh-hans/?next=/zh-hans/trials/NCT05303727/"' in html
    assert re.search(r'<span aria-current="true" lang="ko">한국어</span>', html)


def test_a_remembered_english_choice_beats_accept_language(client):
    client.get("/language/en/?next=/")
    response = get(client, "/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


def test_a_remembered_korean_choice_beats_a_chinese_browser(client):
    client.get("/language/ko/?next=/")
    response = get(client, "/about/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response["Location"] == "/ko/about/"


# --- every page, every language -------------------------------------------------------------


@pytest.mark.parametrize("code", PREFIX)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_lang_and_hreflang_alternates(client, page, code):
    response = get(client, PREFIX[code] + page)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{code}">' in html
    head = html[: html.index("</head>")]
    for other, prefix in PREFIX.items():
        assert f'<link rel="alternate" hreflang="{other}" href="{settings.SITE_URL}{prefix}{page}">' in head
    assert f'<link rel="alternate" hreflang="x-default" href="{settings.SITE_URL}{page}">' in head


def english_leftovers(html: str) -> list[str]:
    """Runs of English words outside lang="en" parts: untranslated interface strings."""
    text = VisibleText.of(html)
    # An English term in brackets after the local one is wanted: 미세잔존질환(MRD).
    text = re.sub(r"\([^()]*\)|（[^（）]*）", " ", text)
    runs = re.findall(r"[A-Za-z][A-Za-z’']+(?:[ ,]+[A-Za-z][A-Za-z’']+){2,}", text)
    return [run for run in runs if run not in {"TrialFinder", "ClinicalTrials.gov"}]


@pytest.mark.parametrize("code", ["ko", "zh-hans"])
@pytest.mark.parametrize("page", PAGES)
def test_no_english_interface_text_is_left_on_translated_pages(client, page, code):
    assert not english_leftovers(get(client, PREFIX[code] + page).content.decode())


PRESCREEN_ANSWERS = {**LEUKEMIA_FIT, "steroids_last_4_weeks": "unsure"}


@pytest.mark.parametrize(
    ("code", "heading", "verdict"),
    [
        ("ko", "확인 결과", "알려 드리려면 정보가 더 필요합니다."),
        ("zh-hans", "查询结果", "需要更多信息才能判断。"),
    ],
)
def test_the_prescreen_result_is_wholly_in_the_guardians_language(client, code, heading, verdict):
    response = client.post(f"{PREFIX[code]}/screen/", {**PRESCREEN_ANSWERS, "step": "4", "action": "next"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f">{heading}</h1>" in html
    assert verdict in html
    assert not english_leftovers(html)


def test_the_sitemap_lists_every_page_in_every_language(client):
    xml = get(client, "/sitemap.xml").content.decode()
    site = settings.SITE_URL
    for page in ["/", "/trials/", "/trials/NCT06516679/", "/trials/NCT05303727/", "/faq/", "/glossary/"]:
        for code, prefix in PREFIX.items():
            # Each language version is listed, and each names every alternate.
            assert f"<loc>{site}{prefix}{page}</loc>" in xml
            assert f'hreflang="{code}" href="{site}{prefix}{page}"' in xml
        assert f'hreflang="x-default" href="{site}{page}"' in xml


# --- dates, numbers, messages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "compiled", "start", "end", "updated"),
    [
        ("en", "21 November 2026", "August 2022", "1 March 2027", "1 July 2022"),
        ("ko", "2026년 11월 21일", "2022년 8월", "2027년 3월 1일", "2022년 7월 1일"),
        ("zh-hans", "2026年11月21日", "2022年8月", "2027年3月1日", "2022年7月1日"),
    ],
)
def test_dates_follow_the_locale_in_its_long_form(client, code, compiled, start, end, updated):
    html = get(client, f"{PREFIX[code]}/trials/NCT05303727/").content.decode()
    for date in (compiled, start, end, updated):
        assert date in html
    # No bare ISO date in what a parent reads (the JSON-LD is for machines).
    text = VisibleText.of(html.split("</head>")[1])
    assert not re.search(r"\b\d{4}-\d{2}(-\d{2})?\b", text), re.findall(r"\b\d{4}-\d{2}(?:-\d{2})?\b", text)


@pytest.mark.parametrize(
    ("code", "found"),
    [("en", "2 trials found."), ("ko", "임상시험 2개를 찾았습니다."), ("zh-hans", "找到 2 项试验。")],
)
def test_counts_use_the_translated_plural(client, code, found):
    assert found in get(client, f"{PREFIX[code]}/trials/").content.decode()


@pytest.mark.parametrize(
    ("code", "message", "summary"),
    [
        ("ko", "나이를 정수로 입력하세요. 예: 8.", "쓸 수 없는 조건이 있습니다."),
        ("zh-hans", "请用整数填写年龄，例如 8。", "有些筛选条件无法使用。"),
    ],
)
def test_a_bad_filter_is_explained_in_the_guardians_language(client, code, message, summary):
    response = get(client, f"{PREFIX[code]}/trials/?age=abc&age_unit=years")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and summary in html
    assert "whole number" not in html
    assert 'value="abc"' in html


@pytest.mark.parametrize(
    ("code", "query", "expected"),
    [
        ("ko", "age=500", "나이를 300 이하로 입력하세요."),
        ("ko", "age=30&age_unit=years", "나이를 25세 이하로 입력하세요."),
        ("zh-hans", "age=500", "请输入不超过 300 的年龄。"),
        ("zh-hans", "age=30&age_unit=years", "请输入不超过 25 岁的年龄。"),
    ],
)
def test_age_limits_are_explained_in_the_guardians_language(client, code, query, expected):
    html = get(client, f"{PREFIX[code]}/trials/?{query}").content.decode()
    assert expected in html
    assert "Enter an age" not in html


@pytest.mark.parametrize("code", ["ko", "zh-hans"])
def test_djangos_own_validation_messages_are_translated_too(client, code):
    from django.utils import translation

    # Django's own message, looked up in Django's own catalogue (a variable, so makemessages skips it).
    english = "This field is required."
    with translation.override(code):
        required = translation.gettext(english)
    assert required != english
    html = client.post(f"{PREFIX[code]}/trials/NCT06516679/contact/", {"action": "send", "message": "안녕하세요"})
    html = html.content.decode()
    assert required in html
    assert english not in html


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ko", "생년월일은 미래 날짜일 수 없습니다."), ("zh-hans", "出生日期不能是将来的日期。")],
)
def test_prescreen_errors_are_in_the_guardians_language(client, code, expected):
    response = client.post(f"{PREFIX[code]}/screen/", {"step": "1", "action": "next", "birth_date": "2999-01-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert expected in html
    assert 'value="2999-01-01"' in html


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ko", "이메일 주소를 확인해 주세요."), ("zh-hans", "请检查电子邮件地址。")],
)
def test_contact_errors_are_in_the_guardians_language(client, code, expected):
    response = client.post(
        f"{PREFIX[code]}/trials/NCT06516679/contact/",
        {"action": "send", "first_name": "민준", "email": "not-an-address", "message": "안녕하세요"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert expected in html
    assert 'value="not-an-address"' in html


# --- review notes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "note"),
    [("ko", "연구팀이 아직 이 부분의 번역을 확인하지 않았습니다."), ("zh-hans", "研究团队还没有核对这一部分的翻译。")],
)
def test_unreviewed_translations_say_so_and_link_to_the_english_page(client, code, note):
    html = get(client, f"{PREFIX[code]}/trials/NCT06516679/").content.decode()
    assert note in html
    assert re.search(r'<a href="/trials/NCT06516679/\?lang=en"[^>]* hreflang="en"[^>]*>', html)
    english = get(client, "/trials/NCT06516679/").content.decode()
    assert "review-note" not in english


@pytest.mark.parametrize("code", ["ko", "zh-hans"])
def test_at_most_one_review_note_per_section(client, code):
    """Not one under every paragraph and FAQ answer: one for each section that needs it."""
    html = get(client, f"{PREFIX[code]}/trials/NCT06516679/").content.decode()
    sections = re.findall(r"<section\b.*?</section>", html, re.S)
    assert len(sections) >= 8
    for section in sections:
        assert section.count('class="review-note') <= 1
    faq = next(section for section in sections if 'id="faq-heading"' in section)
    assert faq.count("<details") > 5
    assert faq.count('class="review-note') == 1
    # The page as a whole: at most one note per section, plus one for the texts outside sections.
    assert html.count('class="review-note') <= len(sections) + 2


@pytest.mark.parametrize("code", ["ko", "zh-hans"])
def test_the_english_original_opens_in_english_for_a_reader_who_chose_another_language(client, code):
    """The link under an unreviewed translation must not bounce back to the translation."""
    client.cookies[COOKIE] = code
    html = get(client, f"{PREFIX[code]}/trials/NCT06516679/").content.decode()
    link = re.search(r'class="review-note">[^<]*<a href="([^"]+)"', html).group(1)
    for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": code}):
        response = get(client, link, **headers)
        assert response.status_code == 200
        assert '<html lang="en">' in response.content.decode()
    # The saved choice is untouched: the plain English address still leads to the translation.
    assert client.cookies[COOKIE].value == code
    assert get(client, "/trials/NCT06516679/").status_code == 302


def test_a_reviewed_translation_has_no_note(client, admin_user):
    from trials.models import FieldReview
    from trials.models.content import text_hash

    trial = Trial.objects.get(nct_id="NCT06516679")
    before = get(client, "/ko/trials/NCT06516679/").content.decode()
    summary_start = trial.summary_ko.strip().split("\n")[0][:20]
    assert summary_start in before
    FieldReview.objects.create(
        content_object=trial,
        field="summary",
        language="ko",
        reviewed_by=admin_user,
        reviewer_name="Study team",
        reviewed_at=datetime.datetime(2026, 11, 21, tzinfo=datetime.UTC),
        text_hash=text_hash(trial.summary_ko),
    )
    after = get(client, "/ko/trials/NCT06516679/").content.decode()
    summary = re.search(r'id="summary-heading".*?</section>', after, re.S).group(0)
    assert "review-note" not in summary
    assert "review-note" in re.search(r'id="summary-heading".*?</section>', before, re.S).group(0)


# --- emails ----------------------------------------------------------------------------------


def a_message(site, *, language, preferred_language):
    from trials.tests.factories import contact_message

    return contact_message(
        site,
        first_name="민준",
        last_name="김",
        preferred_language=preferred_language,
        message="안녕하세요",
        language=language,
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [("ko", "연구팀에 보내신 메시지"), ("zh-hans", "研究团队的留言"), ("en", "Your message to the study team")],
)
def test_the_guardians_copy_is_in_the_guardians_language(code, expected):
    from trials import emails
    from trials.models import Site

    site = Site.objects.get(trial__nct_id="NCT05303727")
    email = emails.guardian_copy(a_message(site, language=code, preferred_language=code))
    assert expected in email.subject
    assert not english_leftovers(email.body) or code == "en"


@pytest.mark.parametrize(("nct_id", "team_language"), [("NCT06516679", "ko"), ("NCT05303727", "zh-hans")])
def test_the_study_teams_copy_is_in_the_sites_language(nct_id, team_language):
    from django.utils import translation

    from trials import emails
    from trials.models import Site

    site = Site.objects.get(trial__nct_id=nct_id)
    email = emails.team_email(a_message(site, language="en", preferred_language="en"))
    with translation.override(team_language):
        stated = translation.gettext("English")
    assert stated in email.body
    assert not english_leftovers(email.body)


# --- local names and disputed facts, in the reader's language ----------------------------------


@pytest.mark.parametrize(
    ("code", "trial", "names"),
    [
        (
            "ko",
            "NCT06516679",
            ["세브란스병원", "연세대학교", "대한민국 서울특별시 서대문구 연세로 50-1 (03722)", "연구 주관 기관"],
        ),
        ("zh-hans", "NCT06516679", ["延世大学", "韩国首尔特别市西大门区延世路50-1（03722）", "申办方"]),
        ("ko", "NCT05303727", ["중산대학교 쑨이셴기념병원", "중국 광둥성 광저우시 웨슈구 옌장시루 107 (510120)"]),
        (
            "zh-hans",
            "NCT05303727",
            ["中山大学孙逸仙纪念医院", "中国广东省广州市越秀区沿江西路107号（510120）", "试验分期", "II期", "申办方"],
        ),
    ],
)
def test_hospital_sponsor_and_address_are_written_as_local_readers_write_them(client, code, trial, names):
    html = get(client, f"{PREFIX[code]}/trials/{trial}/").content.decode()
    for name in names:
        assert name in html, name
    # Not the English forms, and never the trial phase labelled as a tumour stage.
    text = VisibleText.of(html)
    for english in ("Korea, Republic of", "Yuexiu District", "Yonsei University", "Sun Yat-Sen Memorial"):
        assert english not in text, english
    assert "分期：2期" not in text


@pytest.mark.parametrize(
    ("code", "disputed", "claim"),
    [
        ("en", "Status not confirmed: the sources disagree", "TrialX (dated 17 July 2025): Recruiting"),
        ("ko", "모집 상태 확인 안 됨: 출처마다 내용이 달라요", "TrialX (2025년 7월 17일 날짜): 모집 중"),
        ("zh-hans", "招募状态未确认：各来源说法不一", "TrialX（日期为2025年7月17日）：招募中"),
    ],
)
def test_a_disputed_status_is_shown_as_disputed_in_every_language(client, code, disputed, claim):
    for page in ("/", "/trials/", "/trials/NCT06516679/", "/trials/?recruiting=on"):
        text = re.sub(r"<[^>]+>", "", get(client, PREFIX[code] + page).content.decode())
        assert disputed in text, page
        assert claim in text, page
