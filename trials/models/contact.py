"""Messages from guardians to a study team, their delivery, and the team's work on them."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from trials.models.content import Site, Trial

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread


def new_reference() -> str:
    """A reference a guardian can read out on the phone: TF-7K2M-Q9XD."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"TF-{code[:4]}-{code[4:]}"


def sites_visible_to(user):
    """The one privacy rule of the inbox: a coordinator sees their own sites, a superuser all."""
    sites = Site.objects.all()
    return sites if user.is_superuser else sites.filter(coordinators=user)


def working_days_before(moment: datetime, days: int) -> datetime:
    """The moment `days` working days (Monday to Friday) before `moment`."""
    while days > 0:
        moment -= timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


class ContactMessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(site__in=sites_visible_to(user))

    def with_personal_data(self):
        return self.filter(personal_data_purged_at__isnull=True)

    def waiting_for_first_contact(self):
        return self.with_personal_data().filter(status=ContactMessage.Status.NEW)

    def overdue(self, now=None):
        """New messages older than their site's reply time, in working days."""
        now = now or timezone.now()
        condition = models.Q(pk__in=[])
        days_by_site = dict(Site.objects.values_list("pk", "reply_working_days"))
        for days in set(days_by_site.values()):
            sites = [pk for pk, site_days in days_by_site.items() if site_days == days]
            condition |= models.Q(site__in=sites, created_at__lt=working_days_before(now, days))
        return self.waiting_for_first_contact().filter(condition)

    def purge_due(self, cutoff):
        """Messages whose personal data has been kept long enough: closed before
        the cutoff, or never closed and received before it."""
        closed_long_ago = models.Q(status__in=CLOSED_STATUSES, closed_at__lte=cutoff)
        never_closed = ~models.Q(status__in=CLOSED_STATUSES) & models.Q(created_at__lte=cutoff)
        return self.with_personal_data().filter(closed_long_ago | never_closed)


class ContactMessage(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        SCREENING = "screening", _("Screening")
        ENROLLED = "enrolled", _("Enrolled")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")
        CLOSED = "closed", _("Closed")

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Waiting to send")
        # The guardian's copy has gone; the team's email waits until staff confirm the site's address.
        HELD = "held", _("Waiting for a confirmed team address")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Relationship(models.TextChoices):
        PARENT = "parent", _("Parent")
        FAMILY = "family", _("Other family member")
        GUARDIAN = "guardian", _("Legal guardian")
        PATIENT = "patient", _("The patient")

    class AgeUnit(models.TextChoices):
        MONTHS = "months", _("months")
        YEARS = "years", _("years")

    reference = models.CharField(_("reference"), max_length=12, unique=True, default=new_reference, editable=False)
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="messages", verbose_name=_("trial"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="messages", verbose_name=_("study site"))
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    # Made by the server for each rendered form, bound to the visitor's CSRF
    # secret (trials/submission.py): one message per filled-in form, whatever
    # the number of processes or taps.
    submission_key = models.CharField(max_length=80, unique=True, null=True, blank=True, editable=False)
    # The same visitor sending the same text to the same site again (Back,
    # then Send) finds the first message instead of making a second.
    repeat_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    # Personal data, removed by `purge_messages` (see PERSONAL_FIELDS).
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("family name"), max_length=100)
    email = models.EmailField(_("email"), max_length=254)
    # E.164 (+821012345678): one form whatever the guardian typed.
    phone = models.CharField(_("phone number"), max_length=16)
    phone_extension = models.CharField(_("extension"), max_length=10, blank=True)
    relationship = models.CharField(_("writing as"), max_length=10, choices=Relationship.choices, blank=True)
    child_age = models.PositiveSmallIntegerField(_("child's age"), null=True, blank=True)
    child_age_unit = models.CharField(_("age unit"), max_length=6, choices=AgeUnit.choices, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10, choices=settings.LANGUAGES)
    # A place name, never a device's position: device coordinates are rounded
    # to about 1 km and named after the nearest place before they reach here.
    location_text = models.CharField(_("where they are"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude (about 1 km)"), null=True, blank=True)
    longitude = models.FloatField(_("longitude (about 1 km)"), null=True, blank=True)
    message = models.TextField(_("message"), max_length=3000)
    prescreen_summary = models.TextField(_("pre-screen answers"), max_length=4000, blank=True)
    prescreen_outcome = models.TextField(_("pre-screen result"), max_length=1000, blank=True)
    consent_text = models.TextField(_("what the guardian agreed to"))
    consented_at = models.DateTimeField(_("consent given at"))
    language = models.CharField(_("page language"), max_length=10, default=settings.LANGUAGE_CODE)
    personal_data_purged_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    # The study team's work on it.
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    status_reason = models.TextField(_("reason"), blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_messages",
        verbose_name=_("assigned to"),
    )
    first_contacted_at = models.DateTimeField(_("first contacted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Delivery by the task worker. Each email is marked as it goes out, so a
    # retry never sends one twice.
    delivery_status = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    team_email_sent_at = models.DateTimeField(_("team email sent at"), null=True, blank=True)
    guardian_copy_sent_at = models.DateTimeField(_("guardian's copy sent at"), null=True, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    last_delivery_error = models.CharField(_("last delivery error"), max_length=300, blank=True)
    # Set while a worker is sending; a lease still set after it ran out means
    # the worker died mid-send (`recover_deliveries` picks the message up).
    delivery_lease_until = models.DateTimeField(_("being sent until"), null=True, blank=True)

    objects = ContactMessageQuerySet.as_manager()

    # What purge and erasure empty, and the empty value of each. Everything
    # else (dates, status, site, consent wording) stays for the team's counts.
    PERSONAL_FIELDS = {
        "first_name": "",
        "last_name": "",
        "email": "",
        "phone": "",
        "phone_extension": "",
        "relationship": "",
        "child_age": None,
        "child_age_unit": "",
        "location_text": "",
        "latitude": None,
        "longitude": None,
        "message": "",
        "prescreen_summary": "",
        "prescreen_outcome": "",
        "status_reason": "",
        "last_delivery_error": "",
    }

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        # Shown in admin logs and history: no personal data.
        return str(_("Message %(reference)s") % {"reference": self.reference})

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def record_status_dates(self, now) -> None:
        """First contact is the first move out of "new"; closing stamps the
        date that starts the retention period, and reopening clears it."""
        if self.status != self.Status.NEW and self.first_contacted_at is None:
            self.first_contacted_at = now
        if self.is_closed:
            self.closed_at = self.closed_at or now
        else:
            self.closed_at = None

    def child_age_display(self) -> str:
        if self.child_age is None:
            return ""
        if self.child_age_unit == self.AgeUnit.MONTHS:
            return ngettext("%(count)d month", "%(count)d months", self.child_age) % {"count": self.child_age}
        return ngettext("%(count)d year", "%(count)d years", self.child_age) % {"count": self.child_age}

    def reply_due(self) -> datetime:
        """When the guardian was told to write again if no reply has come."""
        moment, days = self.created_at, self.site.reply_working_days
        while days > 0:
            moment += timedelta(days=1)
            if moment.weekday() < 5:
                days -= 1
        return moment


# A reason is required for these, and they start the retention clock.
CLOSED_STATUSES = {ContactMessage.Status.NOT_ELIGIBLE, ContactMessage.Status.CLOSED}


class MessageNote(models.Model):
    """One entry in a message's note log. Notes are only ever added, never edited."""

    message = models.ForeignKey(ContactMessage, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Kept as text too, so the log still says who wrote it after the account goes.
    author_name = models.CharField(_("author"), max_length=150)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    text = models.TextField(_("note"), max_length=3000)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self):
        return f"Note {self.pk} on message {self.message_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Notes are append-only.")
        super().save(*args, **kwargs)


class DeliveryAttempt(models.Model):
    """One try at sending a message's emails: the history staff see in the inbox."""

    class Outcome(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        RETRY = "retry", _("Failed; will try again")
        FAILED = "failed", _("Failed; no more tries")
        INTERRUPTED = "interrupted", _("Interrupted (the worker stopped)")
        HELD = "held", _("Copy sent; held until the team's address is confirmed")

    message = models.ForeignKey(ContactMessage, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.SENDING)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self):
        return f"Attempt {self.number} for message {self.message_id}"


class StaffLanguage(models.Model):
    """The language a staff user reads the admin in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="admin_language")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("admin language")
        verbose_name_plural = _("admin languages")

    def __str__(self):
        return f"{self.user_id}: {self.language}"
