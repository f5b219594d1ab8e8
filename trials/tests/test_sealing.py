"""Notes and their sealing: the note format, the passcode, the keys, and the per-link count of wrong tries."""

import datetime
import json

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from trials import sealing
from trials.models import SharedNotes
from trials.notes import MAX_NOTES, NotesError, note_make, notes_dump, notes_parse

NOTE = {
    "trial": "NCT06516679",
    "section": "who",
    "passage": "첫 번째 생일 전에",
    "text": "우리 아이는 11개월이에요.\n물어보기",
}


def test_notes_round_trip_and_normal_form():
    notes = notes_parse(json.dumps([{**NOTE, "trial": "nct06516679", "passage": "  첫 번째\n 생일 전에 "}]))
    assert notes == [note_make(**NOTE)]
    assert notes_parse(notes_dump(notes)) == notes
    # Control characters go, line ends are kept.
    note = note_make(trial="NCT05303727", section="result", text="孩子\u0000已经\r\n做了6个疗程\u202e")
    assert note.text == "孩子已经\n做了6个疗程"
    assert note.section_title == "What we found"


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "{}",
        json.dumps([{**NOTE, "trial": "NCT1"}]),
        json.dumps([{**NOTE, "section": "nowhere"}]),
        json.dumps([{**NOTE, "text": "   "}]),
        json.dumps([{**NOTE, "text": "x" * 1501}]),
        json.dumps([{**NOTE, "text": ["a list"]}]),
        json.dumps([NOTE] * (MAX_NOTES + 1)),
        "[" * 5000 + "]" * 5000,
    ],
)
def test_notes_that_cannot_be_read_are_refused(raw):
    with pytest.raises(NotesError):
        notes_parse(raw)


def test_passcode_is_sixteen_digits_and_read_as_typed():
    passcode = sealing.passcode_new()
    assert len(passcode) == 16 and passcode.isdigit()
    assert sealing.passcode_display("1234567890123456") == "1234 5678 9012 3456"
    # Spaces, dashes and the full-width digits a Chinese or Korean keyboard may give all read the same.
    assert sealing.passcode_normalize(" 1234-5678 9012\u3000３４５６ ") == "1234567890123456"
    assert not sealing.passcode_is_wellformed("123456789012345")


def test_keys_are_the_same_as_the_browser_derives():
    # The browser test derives the same keys from the same passcode and salt (test_notes_browser.py).
    keys = sealing.keys_derive("1234567812345678", b"0" * 16)
    assert keys.opening.hex() == "c80b79cbb08cdf48ba2db2d55faf5e78b731de91109aadcd591576bed194d0d1"
    assert keys.encryption != keys.opening


@pytest.mark.django_db
def test_sealed_notes_open_only_with_the_passcode():
    passcode = sealing.passcode_new()
    plain = notes_dump([note_make(**NOTE)]).encode()
    shared = sealing.shared_notes_create(sealed=sealing.seal(plain, passcode), days=7)
    stored = SharedNotes.objects.get(pk=shared.pk)
    assert plain not in bytes(stored.ciphertext) and NOTE["text"].encode() not in bytes(stored.ciphertext)
    keys = sealing.keys_derive(passcode, bytes(stored.salt))
    assert sealing.shared_notes_prove(shared=stored, opening_key=keys.opening)
    assert sealing.unseal(stored, keys.encryption) == plain
    other = sealing.keys_derive("0000000000000000", bytes(stored.salt))
    with pytest.raises(sealing.SealingError):
        sealing.unseal(stored, other.encryption)


@pytest.mark.django_db
def test_the_tenth_wrong_try_destroys_the_notes():
    passcode = "1111222233334444"
    shared = sealing.shared_notes_create(sealed=sealing.seal(b"[]" * 20, passcode), days=1)
    right = sealing.keys_derive(passcode, bytes(shared.salt)).opening
    for tried in range(1, 10):
        assert not sealing.shared_notes_prove(shared=shared, opening_key=b"w" * 32)
        assert shared.tries_left == 10 - tried
    # A right try does not reset the count.
    assert sealing.shared_notes_prove(shared=shared, opening_key=right)
    assert not sealing.shared_notes_prove(shared=shared, opening_key=b"w" * 32)
    shared.refresh_from_db()
    assert shared.state == SharedNotes.State.DESTROYED
    assert bytes(shared.ciphertext) == b"" and bytes(shared.verifier) == b"" and bytes(shared.salt) == b""
    assert not sealing.shared_notes_prove(shared=shared, opening_key=right)


@pytest.mark.django_db
def test_what_the_browser_sends_is_checked():
    good = sealing.seal(b"notes", "1234123412341234")
    with pytest.raises(sealing.SealingError):
        sealing.shared_notes_create(sealed=good, days=3)
    for bad in (
        sealing.Sealed(good.salt, good.nonce, good.ciphertext, good.verifier, kdf_n=2**10),
        sealing.Sealed(good.salt[:8], good.nonce, good.ciphertext, good.verifier),
        sealing.Sealed(good.salt, good.nonce, b"x" * (sealing.MAX_CIPHERTEXT_BYTES + 1), good.verifier),
    ):
        with pytest.raises(sealing.SealingError):
            sealing.shared_notes_create(sealed=bad, days=7)
    assert not SharedNotes.objects.exists()


@pytest.mark.django_db
def test_purge_deletes_expired_links_and_says_how_many(capsys):
    with time_machine.travel(datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC), tick=False):
        for days in sealing.LIFETIME_DAYS:
            sealing.shared_notes_create(sealed=sealing.seal(b"[]", sealing.passcode_new()), days=days)
        destroyed = sealing.shared_notes_create(sealed=sealing.seal(b"[]", sealing.passcode_new()), days=1)
        sealing.shared_notes_wipe(shared=destroyed, state=SharedNotes.State.DESTROYED)
    with time_machine.travel(datetime.datetime(2026, 11, 9, tzinfo=datetime.UTC), tick=False):
        call_command("purge_notes")
        assert SharedNotes.objects.count() == 1
        assert SharedNotes.objects.get().expires_at > timezone.now()
    assert "Deleted 3 expired shared notes." in capsys.readouterr().out
