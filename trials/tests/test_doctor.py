"""The page for the doctor: from a trial page, a pre-screen result and shared notes; on screen and as a PDF
in three languages, with the text read back out of the PDF."""

import io
import re

import pytest
from django.conf import settings
from pypdf import PdfReader

from trials.notes import note_make, notes_dump
from trials.tests.answers import LEUKEMIA_FIT

pytestmark = pytest.mark.django_db

TRIAL = "NCT06516679"
KO_NOTE = "선생님께: 치료를 이미 시작했는데 참여할 수 있나요?"
ZH_NOTE = "问医生：孩子已经做了6个疗程，还能参加吗？"


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_fonts(response) -> set[str]:
    reader = PdfReader(io.BytesIO(response.content))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font.get("/DescendantFonts") or [font])[0].get_object().get("/FontDescriptor")
            if descriptor and any(key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                fonts.add(str(font["/BaseFont"]))
    return fonts


def test_from_the_trial_page_facts_sources_criteria_questions_and_a_qr_code(client, trials_data):
    response = client.get(f"/ko/doctor/?trial={TRIAL}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "아이의 담당 의사에게" in page
    assert "등록 정보에 나온 사실과 그 출처" in page
    assert "TrialX" in page and "2025년 7월 17일" in page  # a source and its date
    from trials.models import Criterion

    assert Criterion.objects.get(trial__nct_id=TRIAL, key="diagnosed_before_age_1").text_ko in page  # a criterion
    assert "의사에게 물어볼 질문" in page and "<li>" in page.split('id="sheet-questions-heading"')[1]
    qr = re.search(r'<img class="qr-code" src="data:image/svg\+xml[^"]+"[^>]*alt="QR 코드: NCT06516679[^"]*"', page)
    assert qr
    assert f"{settings.SITE_URL}/ko/trials/{TRIAL}/" in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_from_the_result_the_answers_show_only_when_chosen(client, trials_data, frozen_today):
    answers = {**LEUKEMIA_FIT, "steroids_last_4_weeks": "unsure", "step": "result", "trial": TRIAL}
    hidden = client.post("/zh-hans/doctor/", {**answers, "format": "html"}).content.decode()
    shown = client.post("/zh-hans/doctor/", {**answers, "format": "html", "include_answers": "1"}).content.decode()
    assert "家长的回答" not in hidden and "2026年2月10日" not in hidden.split("doctor-sheet")[1]
    assert "家长的回答" in shown and "2026年2月10日" in shown.split("doctor-sheet")[1]
    # The questions come from the answers either way: "not sure" about steroids (激素) is one.
    for page in (hidden, shown):
        assert "激素" in page.split('id="sheet-questions-heading"')[1]
    # Without "show my answers", the answers still travel in the form (for the PDF), not on the sheet.
    assert 'name="birth_date" value="2026-02-10"' in hidden


def test_notes_appear_with_their_passages(client, trials_data):
    notes = [note_make(trial=TRIAL, section="who", passage="돌(생후 12개월) 전에", text=KO_NOTE)]
    page = client.post("/ko/doctor/", {"notes": notes_dump(notes)}).content.decode()
    assert "부모의 메모" in page and KO_NOTE in page and "돌(생후 12개월) 전에" in page
    assert f"sheet-{TRIAL}" in page and "sheet-NCT05303727" not in page  # the trials of the notes only


def test_bad_notes_are_a_message_not_an_error(client, trials_data):
    response = client.post("/zh-hans/doctor/", {"trial": TRIAL, "notes": "[[["})
    assert response.status_code == 200 and "无法读取" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "prefix", "expected", "font"),
    [
        ("ko", "/ko", ["아이의 담당 의사에게", "백혈병", "의사에게 물어볼 질문", KO_NOTE], "Noto-Sans-CJK-KR"),
        ("zh-hans", "/zh-hans", ["给孩子的医生", "白血病", "要问医生的问题", ZH_NOTE], "Noto-Sans-CJK-SC"),
        ("en", "", ["For your child's doctor", "leukemia", "Questions for the doctor", ZH_NOTE], "DejaVu-Sans"),
    ],
)
def test_the_pdf_renders_in_each_language_with_its_fonts_embedded(
    client, trials_data, language, prefix, expected, font
):
    notes = [note_make(trial=TRIAL, section="risks", passage="", text=expected[-1])]
    response = client.post(f"{prefix}/doctor/", {"trial": TRIAL, "notes": notes_dump(notes), "format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="trialfinder-{TRIAL}-{language}.pdf"'
    text = pdf_text(response)
    for words in expected:
        assert words in text, words
    assert TRIAL in text and "clinicaltrials.gov/study/NCT06516679" in text
    assert any(font in name for name in pdf_fonts(response)), pdf_fonts(response)


def test_the_pdf_of_a_trial_page_needs_no_post(client, trials_data):
    text = pdf_text(client.get("/zh-hans/doctor/?trial=NCT05303727&format=pdf"))
    assert "给孩子的医生" in text and "NCT05303727" in text
