"""The notes pages through Django's test client: writing notes without JavaScript, sharing them
(sealed on the server, or sealed by the browser), opening, wrong passcodes, deleting, and the logs."""

import datetime
import json
import logging
import re

import pytest
from django.conf import settings
from django.utils import timezone, translation

from trials import sealing
from trials.models import SharedNotes
from trials.notes import note_make, notes_dump, notes_parse
from trials.tests.answers import LEUKEMIA_FIT

pytestmark = pytest.mark.django_db

TRIAL = "NCT06516679"
KO_NOTE = "선생님께: 스테로이드를 이미 시작했는데 참여할 수 있나요?"
ZH_NOTE = "问医生：孩子已经做了6个疗程，还能参加吗？"


def hidden_notes(response) -> list:
    match = re.search(r'name="notes" value="([^"]*)"', response.content.decode())
    raw = match.group(1).replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")
    return notes_parse(raw)


def save_note(client, prefix, notes, *, section, text, passage="", **extra):
    data = {
        "trial": TRIAL,
        "notes": notes_dump(notes),
        "note-trial": TRIAL,
        "note-section": section,
        "note-passage": passage,
        "note-text": text,
        "action": "save",
        **extra,
    }
    return client.post(f"{prefix}/notes/", data)


def test_every_section_of_the_trial_page_has_a_note_link_and_the_page_a_doctor_link(client, trials_data):
    page = client.get(f"/ko/trials/{TRIAL}/").content.decode()
    hooks = re.findall(r'href="(/ko/notes/\?trial=NCT06516679&amp;section=(\w+))"', page)
    assert [section for _url, section in hooks] == [
        "summary", "who", "involves", "risks", "sites", "faq", "facts", "unknown",
    ]  # fmt: skip
    assert page.count("메모 추가") >= 8
    assert f'href="/ko/doctor/?trial={TRIAL}"' in page


def test_notes_without_javascript_travel_in_the_form(client, trials_data):
    first = client.get(f"/ko/notes/?trial={TRIAL}&section=who")
    assert first.status_code == 200
    assert re.search(r'<option value="who" selected>', first.content.decode())

    # Empty text: a clear message in Korean, and what was typed is kept.
    empty = save_note(client, "/ko", [], section="who", passage="돌(생후 12개월) 전에", text="  ")
    assert "먼저 여기에 메모를 써 주세요." in empty.content.decode()
    assert "돌(생후 12개월) 전에" in empty.content.decode()

    one = save_note(client, "/ko", [], section="who", passage="돌(생후 12개월) 전에", text=KO_NOTE)
    assert one.status_code == 200
    assert hidden_notes(one) == [note_make(trial=TRIAL, section="who", passage="돌(생후 12개월) 전에", text=KO_NOTE)]
    assert KO_NOTE in one.content.decode()
    two = save_note(client, "/ko", hidden_notes(one), section="risks", text="두 번째 메모")
    assert [n.text for n in hidden_notes(two)] == [KO_NOTE, "두 번째 메모"]

    # Change the first, then delete the second.
    editing = client.post("/ko/notes/", {"trial": TRIAL, "notes": notes_dump(hidden_notes(two)), "action": "edit-0"})
    assert 'name="editing" value="0"' in editing.content.decode()
    changed = save_note(client, "/ko", hidden_notes(two), section="who", text="고친 메모", editing="0")
    assert [n.text for n in hidden_notes(changed)] == ["고친 메모", "두 번째 메모"]
    deleted = client.post(
        "/ko/notes/", {"trial": TRIAL, "notes": notes_dump(hidden_notes(changed)), "action": "delete-1"}
    )
    assert [n.text for n in hidden_notes(deleted)] == ["고친 메모"]

    # Switching language keeps the notes and the note being written.
    switched = client.post(
        "/zh-hans/notes/",
        {"trial": TRIAL, "notes": notes_dump(hidden_notes(deleted)), "note-text": ZH_NOTE, "action": "language"},
    )
    assert switched.cookies["django_language"].value == "zh-hans"
    assert "我的笔记" in switched.content.decode() and ZH_NOTE in switched.content.decode()
    assert [n.text for n in hidden_notes(switched)] == ["고친 메모"]


def test_notes_that_cannot_be_read_give_a_message_not_an_error(client, trials_data):
    response = client.post("/zh-hans/notes/", {"trial": TRIAL, "notes": "[{broken", "action": "save"})
    assert response.status_code == 200
    assert "无法读取" in response.content.decode()


def test_a_note_from_the_result_carries_the_answers_along(client, trials_data):
    response = client.post("/ko/notes/", {**LEUKEMIA_FIT, "step": "result", "trial": TRIAL, "note_for": TRIAL})
    page = response.content.decode()
    assert '<option value="result" selected>' in page
    assert 'name="birth_date" value="2026-02-10"' in page
    assert 'name="step"' not in page  # only answers to known questions come along


def share_plain(client, prefix, notes, days="7"):
    page = client.get(f"{prefix}/notes/?trial={TRIAL}")
    link = re.search(r'name="link" value="([\w-]+)"', page.content.decode()).group(1)
    data = {"trial": TRIAL, "notes": notes_dump(notes), "days": days, "link": link}
    return client.post(f"{prefix}/notes/share/", data), data


def made(response) -> tuple[str, str]:
    page = response.content.decode()
    link = re.search(r'id="share-link" readonly value="([^"]+)"', page).group(1)
    passcode = re.search(r'id="share-passcode"[^>]*>([\d ]+)<', page).group(1)
    return link, passcode


def test_sharing_without_javascript_then_opening_in_chinese(client, trials_data, caplog):
    caplog.set_level(logging.DEBUG)
    notes = [note_make(trial=TRIAL, section="who", passage="돌(생후 12개월) 전에", text=KO_NOTE)]
    response, data = share_plain(client, "/ko", notes)
    link, passcode = made(response)
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    assert re.fullmatch(re.escape(settings.SITE_URL) + r"/notes/s/[\w-]{22}/", link)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", passcode)
    assert "비밀번호는 지금 한 번만 보여 드려요" in response.content.decode()
    shared = SharedNotes.objects.get()
    lifetime = shared.expires_at - timezone.now()
    assert datetime.timedelta(days=6, hours=23) < lifetime <= datetime.timedelta(days=7)
    # A reload posts the same form again: no second link, and no passcode shown again.
    again = client.post("/ko/notes/share/", data)
    assert SharedNotes.objects.count() == 1 and passcode not in again.content.decode()

    path = link.removeprefix(settings.SITE_URL)
    assert client.get(path, HTTP_ACCEPT_LANGUAGE="zh-CN").url == "/zh-hans" + path
    asking = client.get("/zh-hans" + path)
    assert "口令" in asking.content.decode() and KO_NOTE not in asking.content.decode()

    wrong = client.post("/zh-hans" + path, {"passcode": "0000 0000 0000 0000"})
    assert "口令不对" in wrong.content.decode() and "再输错 9 次" in wrong.content.decode()
    short = client.post("/zh-hans" + path, {"passcode": "1234"})
    assert "16 位数字" in short.content.decode()
    assert SharedNotes.objects.get().wrong_tries == 1  # a malformed passcode is not a try

    # Full-width digits, as a Chinese keyboard may type them, open the notes too.
    full_width = passcode.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    opened = client.post("/zh-hans" + path, {"passcode": full_width})
    page = opened.content.decode()
    assert KO_NOTE in page and "돌(생후 12개월) 전에" in page
    assert f'href="/zh-hans/trials/{TRIAL}/"' in page  # the live trial page, in the reader's language
    assert opened["Cache-Control"].startswith("max-age=0")

    deleted = client.post("/zh-hans" + path + "delete/", {"passcode": passcode})
    assert "笔记已删除" in deleted.content.decode()
    gone = client.get("/zh-hans" + path)
    assert gone.status_code == 410 and "拥有口令的人删除了这些笔记" in gone.content.decode()

    logged = caplog.text
    assert logged and passcode.replace(" ", "") not in logged and KO_NOTE not in logged and link not in logged


def test_ten_wrong_passcodes_destroy_the_notes_and_the_link_says_so(client, trials_data):
    notes = [note_make(trial=TRIAL, section="summary", text=ZH_NOTE)]
    link, passcode = made(share_plain(client, "/zh-hans", notes)[0])
    path = "/ko" + link.removeprefix(settings.SITE_URL)
    for _ in range(8):
        client.post(path, {"passcode": "9999999999999999"})
    ninth = client.post(path, {"passcode": "8888888888888888"}).content.decode()
    assert "비밀번호가 맞지 않아요. 1번 더 틀리면 메모가 없어져요." in ninth
    last = client.post(path, {"passcode": "7777777777777777"})
    assert last.status_code == 410
    assert "비밀번호가 10번 틀려서" in last.content.decode()
    # The owner's link says so too, and the right passcode no longer opens anything.
    assert "비밀번호가 10번 틀려서" in client.get(path).content.decode()
    right = client.post(path, {"passcode": passcode})
    assert right.status_code == 410 and ZH_NOTE not in right.content.decode()


def test_a_share_sealed_by_the_browser_is_stored_as_sent_and_opened_with_the_opening_key(client, trials_data):
    plain = notes_dump([note_make(trial=TRIAL, section="facts", text=KO_NOTE)]).encode()
    passcode = sealing.passcode_new()
    sealed = sealing.seal(plain, passcode)
    fields = {
        "days": "1",
        "salt": sealing.b64encode(sealed.salt),
        "nonce": sealing.b64encode(sealed.nonce),
        "ciphertext": sealing.b64encode(sealed.ciphertext),
        "verifier": sealing.b64encode(sealed.verifier),
        "kdf_n": str(sealing.KDF_N),
        "kdf_r": "8",
        "kdf_p": "1",
    }
    response = client.post("/ko/notes/share/", fields, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {"link", "expires", "expires_at"}
    shared = SharedNotes.objects.get()
    assert bytes(shared.ciphertext) == sealed.ciphertext

    path = "/ko" + answer["link"].removeprefix(settings.SITE_URL)
    keys = sealing.keys_derive(passcode, sealed.salt)
    wrong = client.post(path, {"proof": sealing.b64encode(b"x" * 32)}, HTTP_ACCEPT="application/json")
    assert wrong.status_code == 403 and wrong.json()["tries_left"] == 9
    assert "9번" in wrong.json()["error"]
    opened = client.post(path, {"proof": sealing.b64encode(keys.opening)}, HTTP_ACCEPT="application/json").json()
    assert sealing.b64decode(opened["ciphertext"]) == sealed.ciphertext
    deleted = client.post(path + "delete/", {"proof": sealing.b64encode(keys.opening)}, HTTP_ACCEPT="application/json")
    assert deleted.json()["state"] == "deleted"

    bad = client.post("/ko/notes/share/", {**fields, "kdf_n": "1024"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "공유하지 못했어요" in bad.json()["error"]


def test_an_expired_link_opens_nothing(client, trials_data):
    import time_machine

    link, passcode = made(share_plain(client, "/ko", [note_make(trial=TRIAL, section="who", text="x")], days="1")[0])
    path = "/ko" + link.removeprefix(settings.SITE_URL)
    with time_machine.travel(SharedNotes.objects.get().expires_at):
        response = client.post(path, {"passcode": passcode})
    assert response.status_code == 404 and "만료" in response.content.decode()
    assert not SharedNotes.objects.exists()


def test_sharing_is_rate_limited_per_address(client, trials_data, settings):
    notes = [note_make(trial=TRIAL, section="who", text="x")]
    statuses = [
        client.post("/notes/share/", {"trial": TRIAL, "notes": notes_dump(notes), "days": "7"}).status_code
        for _ in range(21)
    ]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert SharedNotes.objects.count() == 20


def test_nothing_to_share_says_so_and_keeps_the_draft(client, trials_data):
    response = client.post("/ko/notes/share/", {"trial": TRIAL, "notes": "[]", "days": "7"})
    assert "아직 공유할 메모가 없어요" in response.content.decode()
    with_draft = client.post(
        "/ko/notes/share/",
        {"trial": TRIAL, "notes": "[]", "days": "7", "note-trial": TRIAL, "note-section": "who", "note-text": KO_NOTE},
    )
    assert with_draft.status_code == 200 and SharedNotes.objects.count() == 1
    link, passcode = made(with_draft)
    shared = SharedNotes.objects.get()
    keys = sealing.keys_derive(passcode.replace(" ", ""), bytes(shared.salt))
    assert [n.text for n in notes_parse(sealing.unseal(shared, keys.encryption).decode())] == [KO_NOTE]
    with translation.override("ko"):
        assert json.loads(sealing.unseal(shared, keys.encryption))[0]["section"] == "who"
