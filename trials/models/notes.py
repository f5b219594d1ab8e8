"""Notes a guardian shared through a link and a passcode. Only ciphertext is kept (trials/sealing.py)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SharedNotesQuerySet(models.QuerySet):
    def expired(self, now=None):
        return self.filter(expires_at__lte=now or timezone.now())


class SharedNotes(models.Model):
    """One shared link. No name, address, language or time of creation is kept: nothing but
    what opening the notes needs, and the link's state so that it can say what happened."""

    class State(models.TextChoices):
        SEALED = "sealed", _("sealed")
        DELETED = "deleted", _("deleted by someone with the passcode")
        DESTROYED = "destroyed", _("destroyed after too many wrong passcodes")

    # What a wiped link keeps of its sealed notes: nothing.
    EMPTY = {"salt": b"", "nonce": b"", "ciphertext": b"", "verifier": b""}

    link = models.CharField(max_length=43, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SEALED)
    salt = models.BinaryField(max_length=16)
    nonce = models.BinaryField(max_length=12)
    ciphertext = models.BinaryField()
    # SHA-256 of the opening key; the key itself is never stored.
    verifier = models.BinaryField(max_length=32)
    kdf_n = models.PositiveIntegerField()
    kdf_r = models.PositiveSmallIntegerField()
    kdf_p = models.PositiveSmallIntegerField()
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    objects = SharedNotesQuerySet.as_manager()

    class Meta:
        verbose_name = _("shared notes")
        verbose_name_plural = _("shared notes")

    def __str__(self):
        return f"shared notes {self.pk} ({self.state})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_sealed(self) -> bool:
        return self.state == self.State.SEALED and not self.is_expired

    @property
    def tries_left(self) -> int:
        from trials.sealing import MAX_WRONG_TRIES

        return max(MAX_WRONG_TRIES - self.wrong_tries, 0)
