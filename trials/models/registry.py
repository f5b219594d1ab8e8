"""Differences between a trial's registry record and what the site shows, waiting for staff.

`sync_registry` (and `import_trials` for a published trial) records each
difference as a pending change. Nothing a parent sees changes until a staff
member accepts it in the admin. A rejected change is remembered by its
fingerprint, so the same difference is not raised again.
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trials.models.content import Site, Trial


class PendingChangeQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=PendingChange.State.PENDING)


class PendingChange(models.Model):
    class Kind(models.TextChoices):
        FACT = "fact", _("A registry fact changed")
        SITE_ADDED = "site_added", _("A site was added")
        SITE_REMOVED = "site_removed", _("A site was removed")
        SITE_STATUS = "site_status", _("A site's status changed")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    # The registry facts a sync compares, in the order the review page lists them.
    FACTS = {
        "overall_status": _("status"),
        "start_date": _("start date"),
        "start_date_type": _("start date is"),
        "primary_completion_date": _("primary completion date"),
        "completion_date": _("completion date"),
        "completion_date_type": _("completion date is"),
        "minimum_age": _("minimum age"),
        "maximum_age": _("maximum age"),
        "sex": _("sex"),
        "phases": _("phases"),
        "conditions": _("conditions"),
        "eligibility_text": _("eligibility criteria, as the registry writes them"),
    }

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="pending_changes")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    field = models.CharField(_("fact"), max_length=40, blank=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="pending_changes")
    # For an added site: its facts from the record, to create it on acceptance.
    site_facts = models.JSONField(_("site in the record"), default=dict, blank=True)
    old_value = models.JSONField(_("on the site now"), null=True, blank=True)
    new_value = models.JSONField(_("in the registry record"), null=True, blank=True)
    # The record this came from: where, and its own last-updated date.
    source = models.CharField(_("record"), max_length=200, blank=True)
    record_updated = models.CharField(_("record last updated"), max_length=10, blank=True)
    fetched_on = models.DateField(_("fetched on"), null=True, blank=True)
    fingerprint = models.CharField(max_length=64, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("found on"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PendingChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "trial", "id"]
        verbose_name = _("registry change")
        verbose_name_plural = _("registry changes")
        indexes = [models.Index(fields=["trial", "fingerprint"], name="pendingchange_fingerprint")]

    def __str__(self):
        return f"{self.trial.nct_id}: {self.what}"

    @property
    def what(self) -> str:
        if self.kind == self.Kind.FACT:
            return str(self.FACTS.get(self.field, self.field))
        return str(self.get_kind_display())

    @staticmethod
    def fingerprint_of(*, kind: str, field: str, site_key: tuple, new_value) -> str:
        """The same difference always has the same fingerprint, whatever the day it is found."""
        text = json.dumps([kind, field, list(site_key), new_value], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()
