"""Private notes, sharing and the doctor's page in a real Chromium, at phone size, in Korean and Chinese:
with JavaScript (notes in localStorage, sealed and opened in the browser) and without it (notes in
the form, sealed on the server). After sharing, the raw database and the logs are searched for the
notes and the passcode. axe checks every new page and state."""

import io
import logging
import os
import re
import sqlite3
import subprocess

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection
from playwright.sync_api import expect
from pypdf import PdfReader

from trials.models import SharedNotes

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _links_to_the_live_server(settings, live_server):
    """Shared links are made from SITE_URL: here, the test's own server."""
    settings.SITE_URL = live_server.url


PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
KO_NOTE = "확인용 메모 7421: 아기가 벌써 항암 치료 2주째인데 참여할 수 있는지 물어보기"
KO_NOTE_2 = "확인용 두 번째 메모 5803"
ZH_NOTE = "核对用笔记 6190：孩子已经做了6个疗程，还能参加吗？"
ZH_PASSAGE = "确诊"


@pytest.fixture
def contexts(browser, live_server, live_trials):
    """Makes phone-sized contexts; a second, JavaScript-enabled page checks pages seen without JavaScript."""
    made = []

    def make(*, locale, javascript=True):
        context = browser.new_context(**PHONE, locale=locale, java_script_enabled=javascript)
        context.set_default_timeout(20_000)
        made.append(context)
        page = context.new_page()
        page.base_url = live_server.url
        page.js_enabled = javascript
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors
        return page

    helper = browser.new_context(**PHONE)
    made.append(helper)
    make.axe_page = helper.new_page()
    yield make
    for context in made:
        context.close()


def check_page(page, axe_page):
    """No horizontal scrolling at 360 px, no script error, and no axe violation (a page seen without
    JavaScript is checked as the same HTML in a page that has it, since axe needs JavaScript)."""
    checked = page
    if not page.js_enabled:
        checked = axe_page
        checked.goto(page.base_url + "/healthz")
        checked.set_content(page.content())
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"
    result = Axe().run(checked)
    assert result.violations_count == 0, result.generate_report()
    assert page.js_errors == []


def notes_ready(page):
    """Waits for static/js/notes.js, a module script that runs after the page is parsed."""
    page.locator("html[data-notes=ready]").wait_for(state="attached")


def select_words(page, section_heading: str, words: str):
    """Selects the first occurrence of the words in the section, as a reader's finger or mouse would."""
    notes_ready(page)
    page.evaluate(
        """([heading, words]) => {
          const section = document.querySelector(`section[aria-labelledby="${heading}"]`);
          const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.nodeValue.indexOf(words);
            if (at === -1) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + words.length);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
            return;
          }
          throw new Error("words not found: " + words);
        }""",
        [section_heading, words],
    )


def database_bytes(tmp_path) -> bytes:
    """The raw database: the SQLite file's pages as they are (free pages too), or a pg_dump of PostgreSQL."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(tmp_path / "copy.sqlite3")
        connection.connection.backup(copy)
        copy.close()
        return (tmp_path / "copy.sqlite3").read_bytes()
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings["PASSWORD"]}
    command = ["pg_dump", "-h", settings["HOST"], "-p", str(settings["PORT"] or 5432), "-U", settings["USER"]]
    return subprocess.run([*command, settings["NAME"]], env=env, capture_output=True, check=True).stdout


def assert_kept_nowhere(tmp_path, caplog, secrets: list[str]):
    raw = database_bytes(tmp_path)
    assert SharedNotes.objects.exists() and b"shared" in raw.lower()  # the dump is real and holds the table
    for secret in secrets:
        for form in {secret, secret.replace(" ", "")}:
            assert form.encode() not in raw, f"{form!r} is in the database"
            assert form not in caplog.text, f"{form!r} is in the logs"


def test_notes_with_javascript_korean_owner_chinese_reader(contexts, tmp_path, caplog, settings):
    # With DEBUG on, every SQL statement is logged with its parameters: the logs then show
    # everything that reached the database, and the notes and the passcode must not be in them.
    settings.DEBUG = True
    caplog.set_level(logging.DEBUG)
    page = contexts(locale="ko-KR")
    page.goto(page.base_url + "/ko/trials/NCT06516679/")

    # The browser derives the same keys as the server (trials/tests/test_sealing.py has the same figures).
    opening = page.evaluate(
        """async () => {
          const sealing = await import('/static/js/sealing.js');
          const keys = await sealing.deriveKeys('1234567812345678', new TextEncoder().encode('0'.repeat(16)),
                                                {n: 32768, r: 8, p: 1});
          return Array.from(keys.opening, (b) => b.toString(16).padStart(2, '0')).join('');
        }"""
    )
    assert opening == "c80b79cbb08cdf48ba2db2d55faf5e78b731de91109aadcd591576bed194d0d1"

    # Select words in "who can take part" and note them.
    select_words(page, "who-heading", "돌(생후 12개월) 전에")
    bar = page.locator(".note-selection-bar")
    bar.wait_for(state="visible")
    check_page(page, contexts.axe_page)
    bar.get_by_role("button").click()
    editor = page.locator(".note-editor")
    assert editor.locator(".note-passage").inner_text() == "돌(생후 12개월) 전에"
    editor.get_by_label("메모").fill(KO_NOTE)
    check_page(page, contexts.axe_page)
    editor.get_by_role("button", name="메모 저장하기").click()
    expect(page.locator("#note-announcer")).to_have_text("메모를 이 브라우저에 저장했어요.")
    card = page.locator('section[aria-labelledby="who-heading"] .note-card')
    assert card.count() == 1 and KO_NOTE in card.inner_text()

    # A second note by keyboard alone, on the risks section, then changed and deleted.
    risks_button = page.get_by_role("button", name="메모 추가").nth(3)
    assert risks_button.get_attribute("aria-describedby") == "risks-heading"
    risks_button.focus()
    page.keyboard.press("Enter")
    page.keyboard.type(KO_NOTE_2)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    risks_card = page.locator('section[aria-labelledby="risks-heading"] .note-card')
    assert risks_card.inner_text().count(KO_NOTE_2) == 1

    # Reload: both notes are still beside their words; the server never saw them.
    page.reload()
    expect(page.locator(".note-card")).to_have_count(2)
    assert not SharedNotes.objects.exists()
    assert KO_NOTE not in caplog.text
    check_page(page, contexts.axe_page)
    risks_card.get_by_role("button", name="바꾸기").click()
    page.locator(".note-editor textarea").fill(KO_NOTE_2 + " (고침)")
    page.locator(".note-editor").get_by_role("button", name="메모 저장하기").click()
    assert "(고침)" in risks_card.inner_text()
    risks_card.get_by_role("button", name="지우기").click()
    assert page.locator(".note-card").count() == 1
    page.get_by_role("button", name="되돌리기").click()
    assert page.locator(".note-card").count() == 2
    risks_card.get_by_role("button", name="지우기").click()
    assert page.locator(".note-card").count() == 1

    # Share: sealed here, only ciphertext sent.
    page.get_by_role("link", name="내 메모 공유하기").click()
    page.wait_for_url("**/ko/notes/share/**")
    notes_ready(page)
    expect(page.locator("#share-list li")).to_have_count(1)
    assert KO_NOTE in page.locator("#share-list").inner_text()
    check_page(page, contexts.axe_page)
    page.get_by_label("1일").check()
    page.get_by_role("button", name="링크와 비밀번호 만들기").click()
    page.locator("#share-made").wait_for(state="visible")
    link = page.input_value("#share-link")
    passcode = page.inner_text("#share-passcode")
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", passcode)
    check_page(page, contexts.axe_page)
    assert_kept_nowhere(tmp_path, caplog, [KO_NOTE, passcode])  # the passage is the page's own text

    # Another browser, in Chinese, opens the link: a wrong passcode, then the right one.
    reader = contexts(locale="zh-CN")
    reader.goto(link)
    assert "/zh-hans/notes/s/" in reader.url
    notes_ready(reader)
    check_page(reader, contexts.axe_page)
    reader.get_by_label("口令").fill("1234 5678 1234 5678")
    reader.get_by_role("button", name="打开笔记").click()
    error = reader.locator("#passcode-error")
    error.wait_for(state="visible")
    assert "再输错 9 次" in error.inner_text()
    check_page(reader, contexts.axe_page)
    reader.get_by_label("口令").fill(passcode)
    reader.get_by_role("button", name="打开笔记").click()
    opened = reader.locator("#opened")
    opened.wait_for(state="visible")
    assert KO_NOTE in opened.inner_text() and "돌(생후 12개월) 전에" in opened.inner_text()
    assert opened.get_by_role("link", name="查看 NCT06516679 的试验页面").get_attribute("href") == (
        "/zh-hans/trials/NCT06516679/"
    )
    check_page(reader, contexts.axe_page)
    assert SharedNotes.objects.get().wrong_tries == 1

    # The page for the doctor, from the shared notes.
    reader.get_by_role("button", name="给孩子的医生").click()
    expect(reader.locator(".sheet-notes")).to_contain_text(KO_NOTE)
    check_page(reader, contexts.axe_page)

    # Whoever holds link and passcode deletes the notes at once; the link then says so.
    reader.goto(link)
    notes_ready(reader)
    reader.get_by_label("口令").fill(passcode)
    reader.get_by_role("button", name="打开笔记").click()
    reader.locator("#opened").wait_for(state="visible")
    reader.get_by_role("button", name="立即删除这些笔记").click()
    expect(reader.locator("#opened-status")).to_contain_text("笔记已删除")
    check_page(reader, contexts.axe_page)
    page.goto(link)
    expect(page.locator("main")).to_contain_text("비밀번호를 가진 사람이 이 메모를 지웠어요.")
    check_page(page, contexts.axe_page)


def test_notes_without_javascript_chinese_owner_korean_reader(contexts, tmp_path, caplog, settings):
    settings.DEBUG = True
    caplog.set_level(logging.DEBUG)
    page = contexts(locale="zh-CN", javascript=False)
    page.goto(page.base_url + "/zh-hans/trials/NCT05303727/")
    page.locator('section[aria-labelledby="who-heading"]').get_by_role("link", name="添加笔记").click()
    assert page.get_by_label("页面的哪一部分").input_value() == "who"
    check_page(page, contexts.axe_page)
    page.get_by_label("笔记针对的文字（可不填）").fill(ZH_PASSAGE)
    page.locator("#id_note-text").fill(ZH_NOTE)
    page.get_by_role("button", name="保存这条笔记").click()
    assert page.get_by_role("status").inner_text() == "笔记已保存在本页中。"
    assert ZH_NOTE in page.inner_text(".note-list")
    check_page(page, contexts.axe_page)

    page.get_by_label("30 天").check()
    page.get_by_role("button", name="生成链接和口令").click()
    link = page.input_value("#share-link")
    passcode = page.inner_text("#share-passcode")
    check_page(page, contexts.axe_page)
    assert_kept_nowhere(tmp_path, caplog, [ZH_NOTE, passcode])

    reader = contexts(locale="ko-KR", javascript=False)
    reader.goto(link)
    assert "/ko/notes/s/" in reader.url
    reader.get_by_label("비밀번호").fill("0000-0000-0000-0000")
    reader.get_by_role("button", name="메모 열기").click()
    assert "9번 더 틀리면" in reader.inner_text("main")
    check_page(reader, contexts.axe_page)
    reader.get_by_label("비밀번호").fill(passcode)
    reader.get_by_role("button", name="메모 열기").click()
    assert ZH_NOTE in reader.inner_text("main") and ZH_PASSAGE in reader.inner_text("main")
    assert reader.get_by_role("link", name="NCT05303727 임상시험 안내 페이지 보기").get_attribute("href") == (
        "/ko/trials/NCT05303727/"
    )
    check_page(reader, contexts.axe_page)

    # The doctor's page and its PDF, without JavaScript.
    reader.get_by_role("button", name="아이의 담당 의사에게").click()
    assert ZH_NOTE in reader.inner_text(".sheet-notes")
    check_page(reader, contexts.axe_page)
    with reader.expect_download() as download:
        reader.get_by_role("button", name="PDF로 내려받기").click()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages)
    assert "아이의 담당 의사에게" in text and ZH_NOTE.split("：")[0] in text and "NCT05303727" in text

    # Ten wrong passcodes in all destroy the notes, and the owner's link says so.
    for _ in range(9):
        reader.goto(link)
        reader.get_by_label("비밀번호").fill("1111 1111 1111 1111")
        reader.get_by_role("button", name="메모 열기").click()
    assert "비밀번호가 10번 틀려서" in reader.inner_text("main")
    page.goto(link)
    assert "由于口令输错了 10 次，这些笔记已被销毁。" in page.inner_text("main")
    check_page(page, contexts.axe_page)


def test_a_note_on_the_result_goes_to_the_doctors_page(contexts, frozen_today):
    page = contexts(locale="ko-KR")
    page.goto(page.base_url + "/ko/trials/NCT05303727/screen/")
    page.fill("#id_birth_date", "2019-04-01")
    page.check('#q-diagnosis input[value="neuroblastoma"]')
    page.click("#screen-form button[name=action][value=next]")
    page.check('#q-neuroblastoma_stage input[value="unsure"]')
    result = page.locator("section.trial-result")
    for _ in range(4):  # the later steps (the known way to join) may be left unanswered
        page.click("#screen-form button[name=action][value=next]")
        page.wait_for_load_state()
        if result.count():
            break
    result.wait_for()
    words = result.locator("h2").inner_text().split(" (")[0][:6]
    select_words(page, "result-NCT05303727", words)
    page.locator(".note-selection-bar button").click()
    page.locator(".note-editor textarea").fill(KO_NOTE)
    page.locator(".note-editor").get_by_role("button", name="메모 저장하기").click()
    assert KO_NOTE in result.locator(".note-card").inner_text()
    check_page(page, contexts.axe_page)

    page.get_by_label("의사에게 보여 줄 자료에 내 답변도 넣기").check()
    page.get_by_role("button", name="의사에게 보여 줄 자료 만들기").click()
    assert "2019년 4월 1일" in page.inner_text(".sheet-answers")
    expect(page.locator(".sheet-notes")).to_contain_text(KO_NOTE)  # added by this browser, not sent
    assert "몇 기인가요" in page.inner_text(".sheet-questions")
    check_page(page, contexts.axe_page)
