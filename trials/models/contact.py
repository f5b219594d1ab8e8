"""Messages from guardians to a study team, and their delivery."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trials.models.content import Site, Trial


class ContactMessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The messages a staff user may see: their own sites', or all for a superuser."""
        if user.is_superuser:
            return self
        return self.filter(site__coordinators=user)


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
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="messages")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="messages")
    created_at = models.DateTimeField(auto_now_add=True)

    # Personal data, removed by `purge_messages` after the retention period.
    first_name = models.CharField(_("First name"), max_length=100)
    last_name = models.CharField(_("Last name"), max_length=100)
    email = models.EmailField(_("Email"), max_length=254)
    phone = models.CharField(_("Phone number"), max_length=30)
    preferred_language = models.CharField(_("Preferred language"), max_length=10, choices=settings.LANGUAGES)
    location_text = models.CharField(_("Your location"), max_length=200, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    message = models.TextField(_("Message"), max_length=3000)
    prescreen_summary = models.TextField(_("pre-screen summary"), blank=True)
    consent_text = models.TextField(_("what the guardian agreed to"))
    consented_at = models.DateTimeField(_("consent given at"))
    language = models.CharField(_("page language"), max_length=10, default=settings.LANGUAGE_CODE)
    personal_data_purged_at = models.DateTimeField(null=True, blank=True)

    # The study team's work on it.
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    status_reason = models.TextField(_("reason"), blank=True)
    internal_notes = models.TextField(_("internal notes"), blank=True)
    first_contacted_at = models.DateTimeField(_("first contacted at"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # Delivery by the task worker. Each email is marked as it goes out, so a
    # retry never sends one twice.
    delivery_status = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    team_email_sent_at = models.DateTimeField(null=True, blank=True)
    guardian_copy_sent_at = models.DateTimeField(null=True, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    last_delivery_error = models.CharField(max_length=300, blank=True)

    objects = ContactMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        # Shown in admin logs and history: no personal data.
        return f"Message {self.pk} to {self.site}"

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

    @property
    def time_to_first_contact(self):
        if self.first_contacted_at is None:
            return None
        return self.first_contacted_at - self.created_at


# A reason is required for these, and they start the retention clock.
CLOSED_STATUSES = {ContactMessage.Status.NOT_ELIGIBLE, ContactMessage.Status.CLOSED}
