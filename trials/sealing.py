"""Notes shared through a link and a passcode: the server keeps only ciphertext.

The design, in short (README "Shared notes" says why):

- The passcode is 16 random digits, made where the notes are sealed: in the
  browser when it can (static/js/sealing.js), else on the server for the one
  request that seals them. It is shown once and never stored or logged.
- scrypt (N=2^15, r=8, p=1: 32 MiB per try) turns passcode and a random salt
  into a master key; HKDF-SHA256 splits that into an encryption key and an
  opening key. AES-256-GCM seals the notes with the encryption key.
- The server stores the salt, the nonce, the ciphertext and SHA-256 of the
  opening key. To get the ciphertext back, a reader proves the opening key (the
  browser derives it; without JavaScript the server derives it from the typed
  passcode and forgets it). Wrong proofs are counted per link; the tenth wipes
  the ciphertext. A stolen database gives an attacker only an offline search of
  10^16 passcodes at 32 MiB of scrypt each.

The browser and this module derive the same keys (a browser test checks it).
"""

import base64
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.db.models import F
from django.utils import timezone

from trials.models import SharedNotes

KDF_N, KDF_R, KDF_P = 2**15, 8, 1
SALT_BYTES, NONCE_BYTES, KEY_BYTES = 16, 12, 32
PASSCODE_DIGITS = 16
MAX_WRONG_TRIES = 10
LIFETIME_DAYS = (1, 7, 30)
# The sealed notes: at most MAX_NOTES notes of MAX_TEXT + MAX_PASSAGE characters
# (trials/notes.py), up to 3 bytes each in UTF-8, plus the JSON around them.
MAX_CIPHERTEXT_BYTES = 200_000
ENCRYPTION_INFO = b"trialfinder notes v1 encryption"
OPENING_INFO = b"trialfinder notes v1 opening"


class SealingError(ValueError):
    """Sealed data that cannot be right: wrong sizes, wrong parameters."""


def passcode_new() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PASSCODE_DIGITS))


def passcode_normalize(text: str) -> str:
    """The digits of a typed passcode: spaces and dashes dropped, full-width digits (１２３) made plain."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if ch in "0123456789")


def passcode_display(passcode: str) -> str:
    """ "1234 5678 9012 3456": groups of four are easier to read out and type."""
    return " ".join(passcode[i : i + 4] for i in range(0, len(passcode), 4))


def passcode_is_wellformed(passcode: str) -> bool:
    return len(passcode) == PASSCODE_DIGITS and passcode.isdigit()


@dataclass(frozen=True)
class Keys:
    encryption: bytes
    opening: bytes

    @property
    def verifier(self) -> bytes:
        return opening_verifier(self.opening)


def opening_verifier(opening_key: bytes) -> bytes:
    return hashlib.sha256(opening_key).digest()


def hkdf(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(master)


def keys_derive(passcode: str, salt: bytes, *, n: int = KDF_N, r: int = KDF_R, p: int = KDF_P) -> Keys:
    master = Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(passcode.encode("ascii"))
    return Keys(encryption=hkdf(master, ENCRYPTION_INFO), opening=hkdf(master, OPENING_INFO))


@dataclass(frozen=True)
class Sealed:
    salt: bytes
    nonce: bytes
    ciphertext: bytes
    verifier: bytes
    kdf_n: int = KDF_N
    kdf_r: int = KDF_R
    kdf_p: int = KDF_P

    def check(self) -> None:
        """Refuses what this server would not have made itself (the browser sends these)."""
        if (self.kdf_n, self.kdf_r, self.kdf_p) != (KDF_N, KDF_R, KDF_P):
            raise SealingError("kdf")
        if len(self.salt) != SALT_BYTES or len(self.nonce) != NONCE_BYTES or len(self.verifier) != KEY_BYTES:
            raise SealingError("sizes")
        if not 16 < len(self.ciphertext) <= MAX_CIPHERTEXT_BYTES:
            raise SealingError("ciphertext")


def seal(plaintext: bytes, passcode: str) -> Sealed:
    salt, nonce = secrets.token_bytes(SALT_BYTES), secrets.token_bytes(NONCE_BYTES)
    keys = keys_derive(passcode, salt)
    ciphertext = AESGCM(keys.encryption).encrypt(nonce, plaintext, None)
    return Sealed(salt=salt, nonce=nonce, ciphertext=ciphertext, verifier=keys.verifier)


def unseal(shared: SharedNotes, encryption_key: bytes) -> bytes:
    try:
        return AESGCM(encryption_key).decrypt(bytes(shared.nonce), bytes(shared.ciphertext), None)
    except InvalidTag:
        raise SealingError("tag") from None


def b64decode(text: str, *, size: int | None = None) -> bytes:
    """Base64 from the browser (standard alphabet); SealingError when it is not."""
    try:
        data = base64.b64decode(text or "", validate=True)
    except ValueError:
        raise SealingError("base64") from None
    if size is not None and len(data) != size:
        raise SealingError("size")
    return data


def b64encode(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


# ---------------------------------------------------------------------------
# Shared notes in the database


def link_new() -> str:
    return secrets.token_urlsafe(16)


def shared_notes_create(*, sealed: Sealed, days: int, link: str | None = None) -> SharedNotes:
    sealed.check()
    if days not in LIFETIME_DAYS:
        raise SealingError("days")
    return SharedNotes.objects.create(
        link=link or link_new(),
        salt=sealed.salt,
        nonce=sealed.nonce,
        ciphertext=sealed.ciphertext,
        verifier=sealed.verifier,
        kdf_n=sealed.kdf_n,
        kdf_r=sealed.kdf_r,
        kdf_p=sealed.kdf_p,
        expires_at=timezone.now() + timedelta(days=days),
    )


def shared_notes_prove(*, shared: SharedNotes, opening_key: bytes) -> bool:
    """True when the opening key fits. A wrong one is counted; the last allowed one destroys the notes.

    The count is one UPDATE in the database, so tries made at the same moment
    from several places are all counted.
    """
    if shared.state != SharedNotes.State.SEALED:
        return False
    if hmac.compare_digest(opening_verifier(opening_key), bytes(shared.verifier)):
        return True
    live = SharedNotes.objects.filter(pk=shared.pk, state=SharedNotes.State.SEALED)
    live.update(wrong_tries=F("wrong_tries") + 1)
    shared.refresh_from_db(fields=["wrong_tries", "state"])
    if shared.wrong_tries >= MAX_WRONG_TRIES:
        shared_notes_wipe(shared=shared, state=SharedNotes.State.DESTROYED)
    return False


def shared_notes_wipe(*, shared: SharedNotes, state: str) -> None:
    """Deletes the sealed notes at once, keeping only the link's state until it expires,
    so that whoever opens the link is told what happened."""
    SharedNotes.objects.filter(pk=shared.pk).update(state=state, **SharedNotes.EMPTY)
    shared.refresh_from_db()


def shared_notes_purge(*, now=None) -> int:
    """Deletes every link past its expiry, sealed notes and states alike."""
    deleted, _by_model = SharedNotes.objects.expired(now or timezone.now()).delete()
    return deleted
