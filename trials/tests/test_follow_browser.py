"""Following a trial in Debian's Chromium, at phone size, in Korean and in Chinese.

Sign up on the trial page, read the request to confirm from a real SMTP server
(aiosmtpd), open its link and confirm; staff accept a registry change; the real
task worker sends exactly one alert; a one-click POST to the List-Unsubscribe
address stops everything, and nothing more is sent. The form also works without
JavaScript, by keyboard. axe checks every new page and state.
"""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from trials.models import Follow, Follower, FollowerEmail, Trial
from trials.registry import changes_decide, changes_record, parse_study
from trials.tests.conftest import REGISTRY_DIR
from trials.tests.test_delivery import smtp  # noqa: F401  (the real SMTP server fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NCT = "NCT06516679"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}

WORDS = {
    "ko": {
        "prefix": "/ko",
        "trial_choice": "이 임상시험의 변경: 상태, 병원, 날짜, 참여 대상",
        "send": "확인 링크 받기",
        "sent": "이메일을 확인해 주세요",
        "confirm": "네, 알림을 받을게요",
        "confirmed": "알림 신청이 완료됐어요",
        "subject_ask": "확인해 주세요: ",
        "subject_alert": "바뀐 내용: ",
        "status_line": "상태: 전에는 모집 전, 지금은 진행 중 (모집 마감).",
        "stop_button": "알림을 멈추고 내 주소 삭제하기",
        "nothing_to_stop": "멈출 알림이 없어요",
        "stopped": "알림을 멈췄어요",
        "broken_link": "이 링크는 쓸 수 없어요",
        "choice_problem": "이 임상시험의 변경 소식과 같은 병의 새 임상시험 소식 중 하나 이상을 골라 주세요.",
    },
    "zh-hans": {
        "prefix": "/zh-hans",
        "trial_choice": "这项试验的变化：状态、医院、日期或可参加的对象",
        "send": "给我发送确认链接",
        "sent": "请查看您的邮箱",
        "confirm": "是的，给我发通知",
        "confirmed": "您的通知已开启",
        "subject_ask": "请确认：",
        "subject_alert": "有变化：",
        "status_line": "状态：从尚未开始招募变为进行中，不再招募。",
        "stop_button": "停止通知并删除我的地址",
        "nothing_to_stop": "没有可停止的通知",
        "stopped": "通知已停止",
        "broken_link": "这个链接无法使用",
        "choice_problem": "请至少勾选一项：这项试验的变化，或同一疾病的新试验。",
    },
}


@pytest.fixture(autouse=True)
def _links_to_the_live_server(settings, live_server):
    """Links in emails are made from SITE_URL: here, the test's own server."""
    settings.SITE_URL = live_server.url


def run_worker():
    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)


def assert_accessible(page):
    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()


def assert_fits_360(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def mail_to(smtp, address):  # noqa: F811
    return [email for rcpt, email in smtp.inbox.parsed() if rcpt == [address]]


def plain(email) -> str:
    return email.get_body(("plain",)).get_content()


def accept_status_change(nct_id: str, status: str) -> None:
    """ClinicalTrials.gov's record changes, a sync records it, and staff accept it (as the admin's button does)."""
    data = json.loads((REGISTRY_DIR / f"{nct_id}.json").read_text(encoding="utf-8"))
    data["protocolSection"]["statusModule"]["overallStatus"] = status
    trial = Trial.objects.get(nct_id=nct_id)
    changes_record(trial=trial, record=parse_study(data, "changed record"))
    changes_decide(changes=list(trial.pending_changes.pending()), user=None, accept=True)


@pytest.mark.parametrize("language", ["ko", "zh-hans"])
def test_sign_up_confirm_one_alert_then_one_click_unsubscribe(
    browser,
    live_server,
    live_trials,
    smtp,  # noqa: F811
    settings,
    language,
):
    words = WORDS[language]
    address = f"parent.{language}@example.com"
    smtp.start()
    context = browser.new_context(**PHONE, locale=language)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{words['prefix']}/trials/{NCT}/")
        form = page.locator(f"#follow-form-{NCT}")
        form.scroll_into_view_if_needed()
        expect(form.get_by_label(words["trial_choice"])).to_be_visible()
        assert form.locator("select[name=language]").input_value() == language  # the page's language
        assert_accessible(page)
        assert_fits_360(page)

        # First without a choice: the message is in the guardian's language, and the address stays.
        form.locator("input[name=email]").fill(address)
        form.get_by_role("button", name=words["send"]).click()
        expect(page.locator("#error-summary")).to_contain_text(words["choice_problem"])
        assert page.locator("input[name=email]").input_value() == address
        assert_accessible(page)
        assert_fits_360(page)

        page.get_by_label(words["trial_choice"]).check()
        page.get_by_role("button", name=words["send"]).click()
        expect(page.get_by_role("heading", name=words["sent"])).to_be_visible()
        expect(page.locator("main")).to_contain_text(address)
        assert address not in page.url
        assert_accessible(page)
        page.screenshot(path=f"/tmp/follow-{language}-sent.png", full_page=True)

        run_worker()
        [ask] = mail_to(smtp, address)
        assert str(ask["Subject"]).strip().startswith(words["subject_ask"])
        assert str(ask["List-Unsubscribe-Post"]).strip() == "List-Unsubscribe=One-Click"
        confirm_url = re.search(r"https?://\S+/follow/confirm/\S+/", plain(ask)).group(0)
        assert confirm_url.startswith(f"{live_server.url}{words['prefix']}/")

        # Opening the link only shows the question; the button confirms.
        page.goto(confirm_url)
        assert not Follow.objects.confirmed().exists()
        expect(page.locator("main")).to_contain_text(address)
        assert_accessible(page)
        page.get_by_role("button", name=words["confirm"]).click()
        expect(page.get_by_role("heading", name=words["confirmed"])).to_be_visible()
        assert_accessible(page)
        assert_fits_360(page)
        assert Follow.objects.confirmed().count() == 1

        # Staff accept a registry change; the worker, after the gathering time, sends one alert.
        start = timezone.now()
        accept_status_change(NCT, "ACTIVE_NOT_RECRUITING")
        with time_machine.travel(start + timedelta(minutes=settings.ALERT_GATHER_MINUTES + 1), tick=False):
            run_worker()
            run_worker()
        alerts = mail_to(smtp, address)[1:]
        assert len(alerts) == 1
        [alert] = alerts
        assert str(alert["Subject"]).strip().startswith(words["subject_alert"])
        assert words["status_line"] in plain(alert)
        assert f"{live_server.url}{words['prefix']}/trials/{NCT}/" in plain(alert)

        # The stop link in a browser shows a button and stops nothing...
        stop_url = str(alert["List-Unsubscribe"]).strip().strip("<>")
        page.goto(stop_url)
        expect(page.get_by_role("button", name=words["stop_button"])).to_be_visible()
        assert_accessible(page)
        assert Follower.objects.filter(email=address).exists()
        # ...while the mail app's one-click POST stops everything at once.
        response = context.request.post(
            stop_url,
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            max_redirects=0,
        )
        assert response.status == 200
        assert not Follower.objects.exists() and not FollowerEmail.objects.exists()

        accept_status_change(NCT, "COMPLETED")
        with time_machine.travel(start + timedelta(days=3), tick=False):
            run_worker()
        assert len(mail_to(smtp, address)) == 2  # the request to confirm and the one alert; nothing since
        page.goto(stop_url)
        expect(page.get_by_role("heading", name=words["nothing_to_stop"])).to_be_visible()
        assert_accessible(page)
        # The page after the stop button, and a link that lost its end on the way.
        page.goto(f"{live_server.url}{words['prefix']}/follow/stopped/")
        expect(page.get_by_role("heading", name=words["stopped"])).to_be_visible()
        assert_accessible(page)
        page.goto(confirm_url[:-8] + "/")
        expect(page.get_by_role("heading", name=words["broken_link"])).to_be_visible()
        assert_accessible(page)
    finally:
        context.close()


def test_the_form_without_javascript_by_keyboard_at_360px(browser, live_server, live_trials):
    context = browser.new_context(**PHONE, locale="ko", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/ko/trials/{NCT}/")
        email = page.locator(f"#follow-{NCT}-email")
        email.focus()
        page.keyboard.type("민준@example")  # a wrong address
        page.keyboard.press("Enter")  # Enter sends the form
        expect(page.locator("#error-summary")).to_contain_text("이메일 주소를 확인해 주세요.")
        expect(page.locator("#error-summary")).to_contain_text(WORDS["ko"]["choice_problem"])
        assert page.locator("input[name=email]").input_value() == "민준@example"
        assert_fits_360(page)
        page.screenshot(path="/tmp/follow-ko-nojs-error.png", full_page=True)

        page.locator("input[name=email]").fill("minjun@example.com")
        page.locator("input[name=email]").focus()
        page.keyboard.press("Tab")  # the language
        page.keyboard.press("Tab")  # the first choice
        page.keyboard.press("Space")
        for _ in range(4):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.type") == "submit":
                break
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=WORDS["ko"]["sent"])).to_be_visible()
        expect(page.locator("main")).to_contain_text("minjun@example.com")
        assert_fits_360(page)
        assert list(Follow.objects.values_list("kind", "language")) == [("trial", "ko")]
    finally:
        context.close()
