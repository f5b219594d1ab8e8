"""The trials, their study sites, and the plain-language content about them.

Registry facts (filled by `import_trials`) and plain-language text (written by
staff) live side by side on Trial, but only the importer writes the first kind
and it never touches the second.
"""

import hashlib
import re

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def text_hash(text: str) -> str:
    return hashlib.sha256((text or "").encode()).hexdigest()[:16]


class FieldReview(models.Model):
    """Who last reviewed one text field in one language, and the text they saw.

    A review stays valid only while the text is unchanged: editing the field
    after the review makes it "changed since review".
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    field = models.CharField(max_length=64)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer_name = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField()
    text_hash = models.CharField(max_length=16)
    # For a translation: the English text's hash when it was reviewed. An edit of
    # the English makes the translation "may be out of date" until reviewed again.
    source_hash = models.CharField(max_length=16, blank=True)

    REVIEWED, CHANGED, SOURCE_CHANGED = "reviewed", "changed", "source_changed"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "field", "language"], name="one_review_per_field_language"
            )
        ]

    def __str__(self):
        return f"{self.field} ({self.language}) reviewed by {self.reviewer_name} on {self.reviewed_at:%Y-%m-%d}"

    def state_for(self, obj) -> str:
        """REVIEWED while neither this text nor (for a translation) its English
        original has changed since the review."""
        if self.text_hash != text_hash(obj.field_text(self.field, self.language)):
            return self.CHANGED
        source = obj.field_text(self.field, settings.LANGUAGE_CODE)
        if self.language != settings.LANGUAGE_CODE and self.source_hash and self.source_hash != text_hash(source):
            return self.SOURCE_CHANGED
        return self.REVIEWED


class ReviewedContent(models.Model):
    """Base for models whose text fields are translated and reviewed.

    `text_fields` names the translatable fields; the admin grades and reviews
    each of them, and pages show a note beside an unreviewed translation.
    """

    text_fields: tuple[str, ...] = ()
    reviews = GenericRelation(FieldReview)

    class Meta:
        abstract = True

    def field_text(self, field: str, language: str) -> str:
        return getattr(self, f"{field}_{language.replace('-', '_')}") or ""

    def review_for(self, field: str, language: str) -> FieldReview | None:
        # Iterates the prefetched reviews, so a page that prefetches "reviews"
        # makes no query here.
        for review in self.reviews.all():
            if review.field == field and review.language == language:
                return review
        return None

    def is_reviewed(self, field: str, language: str | None = None) -> bool:
        language = language or get_language() or settings.LANGUAGE_CODE
        review = self.review_for(field, language)
        return review is not None and review.state_for(self) == FieldReview.REVIEWED


class TrialQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def recruiting(self):
        return self.filter(overall_status=Trial.Status.RECRUITING)

    def for_age_months(self, months: int):
        """Trials whose registry age range includes a child of this age."""
        return self.filter(
            Q(min_age_months__isnull=True) | Q(min_age_months__lte=months),
            Q(age_under_months__isnull=True) | Q(age_under_months__gt=months),
        )


class Trial(ReviewedContent):
    class Status(models.TextChoices):
        # The registry's own values (ClinicalTrials.gov API v2, overallStatus).
        NOT_YET_RECRUITING = "NOT_YET_RECRUITING", _("Not yet recruiting")
        RECRUITING = "RECRUITING", _("Recruiting")
        ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", _("Enrolling by invitation")
        ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", _("Active, not recruiting")
        SUSPENDED = "SUSPENDED", _("Suspended")
        TERMINATED = "TERMINATED", _("Terminated")
        COMPLETED = "COMPLETED", _("Completed")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")
        UNKNOWN = "UNKNOWN", _("Unknown")

    text_fields = ("plain_title", "condition_label", "summary", "involvement", "status_note", "unknowns_note")

    nct_id = models.CharField(_("NCT number"), max_length=11, unique=True)

    # Registry facts, written only by the importer.
    brief_title = models.CharField(_("brief title"), max_length=300)
    official_title = models.TextField(_("official title"), blank=True)
    acronym = models.CharField(max_length=50, blank=True)
    org_study_id = models.CharField(_("sponsor's study ID"), max_length=100, blank=True)
    secondary_ids = models.JSONField(_("other IDs"), default=list, blank=True)
    overall_status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.UNKNOWN)
    status_verified = models.CharField(_("status verified"), max_length=10, blank=True)
    sponsor = models.CharField(_("lead sponsor"), max_length=300, blank=True)
    collaborators = models.JSONField(default=list, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    study_type = models.CharField(max_length=30, blank=True)
    phases = models.JSONField(default=list, blank=True)
    allocation = models.CharField(max_length=30, blank=True)
    intervention_model = models.CharField(max_length=30, blank=True)
    masking = models.CharField(max_length=30, blank=True)
    primary_purpose = models.CharField(max_length=30, blank=True)
    enrollment = models.PositiveIntegerField(null=True, blank=True)
    interventions = models.JSONField(default=list, blank=True)
    primary_outcomes = models.JSONField(default=list, blank=True)
    sex = models.CharField(max_length=10, blank=True)
    minimum_age = models.CharField(max_length=30, blank=True)
    maximum_age = models.CharField(max_length=30, blank=True)
    min_age_months = models.PositiveIntegerField(null=True, blank=True)
    # Exclusive upper bound: "2 Years" means a child of 2 years and 11 months
    # still fits, so the bound is 36 months.
    age_under_months = models.PositiveIntegerField(null=True, blank=True)
    start_date = models.CharField(max_length=10, blank=True)
    primary_completion_date = models.CharField(max_length=10, blank=True)
    completion_date = models.CharField(max_length=10, blank=True)
    first_posted = models.CharField(max_length=10, blank=True)
    last_update_posted = models.CharField(max_length=10, blank=True)
    registry_checked_at = models.DateTimeField(_("last checked against the registry"), null=True, blank=True)
    registry_source = models.CharField(max_length=200, blank=True)

    # Plain-language content, written by staff and translated.
    plain_title = models.CharField(_("plain-language title"), max_length=200, blank=True)
    condition_slug = models.SlugField(_("condition key"), max_length=50, blank=True)
    condition_label = models.CharField(_("condition, in plain words"), max_length=100, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    involvement = models.TextField(_("what taking part involves"), blank=True)
    status_note = models.TextField(_("note on the status"), blank=True)
    unknowns_note = models.TextField(_("what is not known"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = TrialQuerySet.as_manager()

    class Meta:
        ordering = ["order", "nct_id"]
        verbose_name = _("trial")
        verbose_name_plural = _("trials")

    def __str__(self):
        return f"{self.nct_id}: {self.plain_title or self.brief_title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("trial_detail", args=[self.nct_id])

    @property
    def registry_url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.nct_id}"

    @property
    def is_recruiting(self) -> bool:
        return self.overall_status == self.Status.RECRUITING

    @property
    def checked_live(self) -> bool:
        """True when the facts were last fetched from the registry itself, not from a saved file."""
        return self.registry_source.startswith(("http://", "https://"))

    @property
    def phase_display(self) -> str:
        return ", ".join(
            p.replace("PHASE", "Phase ").replace("EARLY_", "Early ").replace("NA", "n/a") for p in self.phases
        )

    def unknown_facts(self) -> list[str]:
        """Labels of registry facts we do not have, for the "not known" notice."""
        checks = [
            (self.official_title, _("official title")),
            (self.start_date, _("start date")),
            (self.completion_date, _("end date")),
            (self.enrollment, _("number of children taking part")),
            (self.primary_outcomes, _("main outcome measure")),
        ]
        return [str(label) for value, label in checks if not value]


AGE_PATTERN = re.compile(r"^\s*(\d+)\s*(year|month|week|day)s?\s*$", re.IGNORECASE)


def registry_age_to_months(text: str, *, upper: bool) -> int | None:
    """Turns a registry age such as "18 Years" into months.

    For an upper bound the whole last unit counts ("2 Years" -> under 36 months).
    """
    match = AGE_PATTERN.match(text or "")
    if not match:
        return None
    number, unit = int(match.group(1)), match.group(2).lower()
    if unit == "year":
        return (number + 1) * 12 if upper else number * 12
    if unit == "month":
        return number + 1 if upper else number
    # Weeks and days: round to whole months, erring on the side of including the child.
    days = number * 7 if unit == "week" else number
    return days // 30 + 1 if upper else days // 30


class SiteQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Site(ReviewedContent):
    """A hospital where a trial runs, and the study team that answers messages there."""

    class Status(models.TextChoices):
        NOT_YET_RECRUITING = "NOT_YET_RECRUITING", _("Not yet recruiting")
        RECRUITING = "RECRUITING", _("Recruiting")
        ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", _("Enrolling by invitation")
        ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", _("Active, not recruiting")
        COMPLETED = "COMPLETED", _("Completed")
        SUSPENDED = "SUSPENDED", _("Suspended")
        TERMINATED = "TERMINATED", _("Terminated")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")
        UNKNOWN = "UNKNOWN", _("Unknown")

    text_fields = ("facility", "city")

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="sites")
    # Registry facts (contactsLocationsModule.locations).
    facility = models.CharField(_("hospital"), max_length=300)
    city = models.CharField(_("city"), max_length=100)
    state = models.CharField(_("state or province"), max_length=100, blank=True)
    zip = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=100)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    status = models.CharField(_("recruiting status"), max_length=30, choices=Status.choices, default=Status.UNKNOWN)
    from_registry = models.BooleanField(default=False, editable=False)
    # Staff-kept facts.
    street = models.CharField(_("street address"), max_length=300, blank=True)
    team_email = models.EmailField(_("study team email"), blank=True)
    local_language = models.CharField(
        _("study team's language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_active = models.BooleanField(_("active"), default=True)
    reply_working_days = models.PositiveSmallIntegerField(
        _("reply within (working days)"),
        default=5,
        help_text=_(
            "Guardians are told to write again if the team has not replied within this many working days; "
            "new messages older than this count as overdue in the inbox."
        ),
    )
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="study_sites",
        verbose_name=_("study team members"),
        help_text=_("Staff who may read and answer this site's messages."),
    )

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["trial", "facility"]
        verbose_name = _("study site")
        verbose_name_plural = _("study sites")
        # The nearest-site search filters one trial's sites by a latitude range
        # and a longitude range (trials/geo.py).
        indexes = [models.Index(fields=["trial", "latitude", "longitude"], name="site_trial_lat_lon")]

    def __str__(self):
        return f"{self.facility}, {self.city}"

    @property
    def is_recruiting(self) -> bool:
        return self.status == self.Status.RECRUITING

    @property
    def address_lines(self) -> list[str]:
        place = " ".join(part for part in [self.city, self.state, self.zip] if part)
        return [line for line in [self.facility, self.street, place, self.country] if line]


class TreatmentGroup(ReviewedContent):
    """One path through a trial, for example a risk group, drawn on the trial page."""

    text_fields = ("name", "who")

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="treatment_groups")
    key = models.SlugField(max_length=50, help_text=_("Stable name, used when content files are loaded."))
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=100)
    who = models.TextField(_("which children"), blank=True)

    class Meta:
        ordering = ["trial", "order"]
        constraints = [models.UniqueConstraint(fields=["trial", "key"], name="unique_group_key")]
        verbose_name = _("treatment group")
        verbose_name_plural = _("treatment groups")

    def __str__(self):
        return self.name


class TreatmentStep(ReviewedContent):
    text_fields = ("name", "duration")

    group = models.ForeignKey(TreatmentGroup, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=100)
    duration = models.CharField(_("how long"), max_length=100, blank=True)
    is_transplant = models.BooleanField(_("stem cell transplant"), default=False)

    class Meta:
        ordering = ["group", "order"]
        verbose_name = _("treatment step")
        verbose_name_plural = _("treatment steps")

    def __str__(self):
        return self.name


class FAQQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def general(self):
        return self.filter(trial__isnull=True)


class FAQ(ReviewedContent):
    class Topic(models.TextChoices):
        TRIALS = "trials", _("About clinical trials")
        INFANTS = "infants", _("For parents of babies and young children")
        TRIAL = "trial", _("About this trial")

    text_fields = ("question", "answer")

    trial = models.ForeignKey(
        Trial,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="faqs",
        help_text=_("Empty for a general question."),
    )
    key = models.SlugField(max_length=60, unique=True, help_text=_("Stable name, used when content files are loaded."))
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.TRIALS)
    order = models.PositiveSmallIntegerField(default=0)
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    is_published = models.BooleanField(_("published"), default=True)

    objects = FAQQuerySet.as_manager()

    class Meta:
        ordering = ["trial__order", "topic", "order", "id"]
        verbose_name = _("FAQ")
        verbose_name_plural = _("FAQs")

    def __str__(self):
        return self.question


class GlossaryTerm(ReviewedContent):
    text_fields = ("term", "aliases", "definition")

    slug = models.SlugField(unique=True)
    term = models.CharField(_("term"), max_length=100)
    aliases = models.CharField(
        _("other forms"),
        max_length=300,
        blank=True,
        help_text=_("Other ways the term is written, separated by commas."),
    )
    definition = models.TextField(_("meaning"))

    class Meta:
        ordering = ["slug"]
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary terms")

    def __str__(self):
        return self.term

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("glossary") + f"#{self.slug}"

    def match_forms(self) -> list[str]:
        forms = [self.term, *self.aliases.split(",")]
        return [form.strip() for form in forms if form.strip()]
