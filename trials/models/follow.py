"""Guardians who follow a trial by email, what they are waiting to hear, and the emails to them.

An address is kept only while it follows something. A sign-up is a Follow that
waits for the guardian to confirm it from their mailbox (double opt-in); until
then the only email it may receive is the one that asks. Unsubscribing deletes
the Follower, and with it every Follow, Alert and email still to be sent.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trials.models.content import Trial

# Unconfirmed sign-ups are deleted after this many days (`manage.py purge_followers`),
# and a link to confirm stops working then.
CONFIRM_DAYS = 7


def new_key() -> str:
    return secrets.token_urlsafe(16)


def email_normalized(email: str) -> str:
    """One address however its letters are cased, so each address is kept once. Deterministic: the
    page after signing up shows this form of what was typed, never a form stored earlier."""
    return email.strip().lower()


def condition_terms(trial: Trial) -> list[str]:
    """The registry's condition names of a trial, in one comparable form."""
    return sorted({" ".join(str(term).casefold().split()) for term in trial.conditions or [] if str(term).strip()})


class Follower(models.Model):
    # In lower case (email_normalized): one row per address.
    email = models.EmailField(_("email"), max_length=254, unique=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    # Part of every link we send: a new Follower (after unsubscribing) never matches an old link.
    key = models.CharField(max_length=32, default=new_key, editable=False)
    created_at = models.DateTimeField(_("signed up"), auto_now_add=True)
    # When the last alert email went out: the next waits a day after it.
    last_digest_at = models.DateTimeField(_("last alert sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        permissions = [("view_follower_addresses", _("Can see the email addresses of people who follow trials"))]

    def __str__(self):
        # Admin logs and history show this: never the address.
        return str(_("Follower %(number)s") % {"number": self.pk})


class FollowQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def waiting(self):
        return self.filter(confirmed_at__isnull=True)


class Follow(models.Model):
    """One thing a follower asked to hear about: changes to one trial, or new trials for its condition."""

    class Kind(models.TextChoices):
        TRIAL = "trial", _("Changes to this trial")
        CONDITION = "condition", _("New trials for this condition")

    follower = models.ForeignKey(Follower, on_delete=models.CASCADE, related_name="follows")
    # The trial whose page (or pre-screen result) the sign-up came from.
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="follows", verbose_name=_("trial"))
    kind = models.CharField(_("about"), max_length=10, choices=Kind.choices)
    # For new trials: the condition as it was on that trial at sign-up, by staff's key and by the registry's names.
    condition_slug = models.SlugField(max_length=50, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("first asked on"), auto_now_add=True)
    # The latest request for it, and the language it asked for: an unconfirmed
    # follow is deleted CONFIRM_DAYS after its latest request.
    asked_at = models.DateTimeField(_("last asked on"), default=timezone.now)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    confirmed_at = models.DateTimeField(_("confirmed on"), null=True, blank=True)

    objects = FollowQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("followed trial")
        verbose_name_plural = _("followed trials")
        constraints = [models.UniqueConstraint(fields=["follower", "trial", "kind"], name="one_follow_per_kind")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.trial.nct_id}"

    def matches(self, trial: Trial) -> bool:
        """Whether a newly published trial is one of "new trials for this condition".

        By staff's condition key when both trials have one; otherwise by a
        condition name the registry gives both.
        """
        if trial.pk == self.trial_id:
            return False
        if self.condition_slug and trial.condition_slug:
            return self.condition_slug == trial.condition_slug
        return bool(set(self.conditions) & set(condition_terms(trial)))


class Alert(models.Model):
    """News for one follower, waiting for their next email: accepted changes to a trial, or a new trial."""

    class Kind(models.TextChoices):
        CHANGED = "changed", _("The trial changed")
        NEW_TRIAL = "new_trial", _("A new trial")

    follower = models.ForeignKey(Follower, on_delete=models.CASCADE, related_name="alerts")
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # For a change: the accepted changes as plain data (trials.signals.ChangeSummary).
    changes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The email that carries it; empty until its email is made.
    email = models.ForeignKey("FollowerEmail", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.kind} {self.trial_id} for follower {self.follower_id}"


class FollowerEmail(models.Model):
    """One email to a follower, sent by the task worker: a request to confirm, or the alerts of the day.

    Deleted, with its alerts, the moment the SMTP server takes it, so nothing is
    left that could go out twice. A worker that dies between the two leaves it
    leased; it is sent again once the lease runs out, with the same Message-ID.
    """

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Please confirm")
        DIGEST = "digest", _("Alerts")

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Waiting to send")
        FAILED = "failed", _("Failed")

    follower = models.ForeignKey(Follower, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # For a request to confirm: the language asked for, and the follows the link confirms.
    # Alerts are in the follower's own language.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    follows = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    due_at = models.DateTimeField(_("due"))
    delivery_status = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # Set while a worker sends; still set after it ran out means the worker died mid-send.
    lease_until = models.DateTimeField(null=True, blank=True)
    # The first try: a digest's content is fixed from then on, so a copy sent again is the same email.
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("email to a follower")
        verbose_name_plural = _("emails to followers")

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class TrialFollowing(Trial):
    """A trial seen from its followers' side, for the admin's counts (never addresses)."""

    class Meta:
        proxy = True
        verbose_name = _("followers of a trial")
        verbose_name_plural = _("followers per trial")
