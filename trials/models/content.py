"""The trials, their study sites, and the plain-language content about them.

Registry facts (filled by `import_trials`) and plain-language text (written by
staff) live side by side on Trial, but only the importer writes the first kind
and it never touches the second.
"""

import hashlib

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.functional import cached_property
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


REVIEWS_ATTRIBUTE = "fetched_reviews"


def prefetch_reviews() -> Prefetch:
    """The review records of each object, fetched in one query, as a plain list.

    A list, not the related manager's prefetch cache: Django builds a queryset
    per object to hold that cache, which cost more than the rest of a trial page.
    (A new Prefetch each time, since Django changes one used in a nested lookup.)
    """
    return Prefetch("reviews", to_attr=REVIEWS_ATTRIBUTE)


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
        fetched = getattr(self, REVIEWS_ATTRIBUTE, None)
        if fetched is None:
            return next((r for r in self.reviews.all() if r.field == field and r.language == language), None)
        # Pages fetch the reviews with prefetch_reviews() and ask about many fields: index them once.
        index = self.__dict__.get("_review_index")
        if index is None or index[0] is not fetched:
            index = self._review_index = (fetched, {(r.field, r.language): r for r in fetched})
        return index[1].get((field, language))

    def is_reviewed(self, field: str, language: str | None = None) -> bool:
        language = language or get_language() or settings.LANGUAGE_CODE
        review = self.review_for(field, language)
        return review is not None and review.state_for(self) == FieldReview.REVIEWED


class RegistryStatus(models.TextChoices):
    """ClinicalTrials.gov's recruitment statuses (API v2 overallStatus and location status), for trials and sites."""

    NOT_YET_RECRUITING = "NOT_YET_RECRUITING", _("Not yet recruiting")
    RECRUITING = "RECRUITING", _("Recruiting")
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION", _("Enrolling by invitation")
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING", _("Active, not recruiting")
    SUSPENDED = "SUSPENDED", _("Suspended")
    TERMINATED = "TERMINATED", _("Terminated")
    COMPLETED = "COMPLETED", _("Completed")
    WITHDRAWN = "WITHDRAWN", _("Withdrawn")
    # Expanded access: a treatment offered outside a trial.
    AVAILABLE = "AVAILABLE", _("Available")
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE", _("No longer available")
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE", _("Temporarily not available")
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING", _("Approved for marketing")
    WITHHELD = "WITHHELD", _("Withheld")
    UNKNOWN = "UNKNOWN", _("Unknown")

    @classmethod
    def label_of(cls, value: str) -> str:
        """The label of a status in the active language; an unknown value as it is.
        (Faster than Model.get_FOO_display, which rebuilds the choices for every call.)"""
        try:
            return str(cls(value).label)
        except ValueError:
            return value

    @classmethod
    def closed(cls) -> frozenset[str]:
        """Statuses under which no new child can join. Any other value, even one not known yet, may still enrol:
        leaving a trial out must be a decision."""
        return frozenset(
            {
                cls.ACTIVE_NOT_RECRUITING,
                cls.COMPLETED,
                cls.TERMINATED,
                cls.WITHDRAWN,
                cls.SUSPENDED,
                cls.NO_LONGER_AVAILABLE,
                cls.TEMPORARILY_NOT_AVAILABLE,
                cls.APPROVED_FOR_MARKETING,
                cls.WITHHELD,
            }
        )


class TrialQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def recruiting(self):
        """Recruiting by the record, or by at least one source when the sources disagree."""
        return self.filter(
            Q(overall_status=Trial.Status.RECRUITING) | Q(sources__status=Trial.Status.RECRUITING)
        ).distinct()

    def for_age_months(self, months: int):
        """Trials whose registry age range includes a child of exactly this many whole months.

        The bounds are kept in the registry's own terms: "2 Years" is 24 months, so a
        child of 35 months is older than "2 years and younger".
        """
        return self.filter(
            Q(min_age_months__isnull=True) | Q(min_age_months__lte=months),
            Q(max_age_months__isnull=True) | Q(max_age_months__gte=months),
        )


class Trial(ReviewedContent):
    Status = RegistryStatus

    class FactsSource(models.TextChoices):
        # Where the registry facts on the page came from; the page says exactly this.
        REGISTRY = "registry", _("fetched from ClinicalTrials.gov")
        REGISTRY_FILE = "registry_file", _("a saved ClinicalTrials.gov record")
        COMPILED = "compiled", _("compiled by our team from public copies of the record")
        FILE = "file", _("a saved record of unknown origin")

    class DateType(models.TextChoices):
        # The registry marks each date as what happened (ACTUAL) or what is planned (ESTIMATED).
        ACTUAL = "ACTUAL", _("actual")
        ESTIMATED = "ESTIMATED", _("expected")

    text_fields = (
        "plain_title",
        "condition_label",
        "age_rule",
        "summary",
        "involvement",
        "risks",
        "status_note",
        "unknowns_note",
        "sponsor",
    )

    nct_id = models.CharField(_("NCT number"), max_length=11, unique=True)

    # Registry facts, written only by the importer.
    brief_title = models.CharField(_("brief title"), max_length=300)
    official_title = models.TextField(_("official title"), blank=True)
    acronym = models.CharField(_("acronym"), max_length=50, blank=True)
    org_study_id = models.CharField(_("sponsor's study ID"), max_length=100, blank=True)
    secondary_ids = models.JSONField(_("other IDs"), default=list, blank=True)
    overall_status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.UNKNOWN)
    status_verified = models.CharField(_("status verified"), max_length=10, blank=True)
    # The registry's name (English); staff add the Korean and Chinese names.
    sponsor = models.CharField(_("lead sponsor"), max_length=300, blank=True)
    collaborators = models.JSONField(_("collaborators"), default=list, blank=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    study_type = models.CharField(_("study type"), max_length=30, blank=True)
    phases = models.JSONField(_("phases"), default=list, blank=True)
    allocation = models.CharField(_("allocation"), max_length=30, blank=True)
    intervention_model = models.CharField(_("intervention model"), max_length=30, blank=True)
    masking = models.CharField(_("masking"), max_length=30, blank=True)
    primary_purpose = models.CharField(_("primary purpose"), max_length=30, blank=True)
    enrollment = models.PositiveIntegerField(_("enrollment"), null=True, blank=True)
    enrollment_type = models.CharField(_("enrollment is"), max_length=10, choices=DateType.choices, blank=True)
    interventions = models.JSONField(_("interventions"), default=list, blank=True)
    primary_outcomes = models.JSONField(_("primary outcomes"), default=list, blank=True)
    sex = models.CharField(_("sex"), max_length=10, blank=True)
    minimum_age = models.CharField(_("minimum age"), max_length=30, blank=True)
    maximum_age = models.CharField(_("maximum age"), max_length=30, blank=True)
    # The same ages in whole months, both bounds inclusive ("2 Years" is 24 months).
    min_age_months = models.PositiveIntegerField(_("minimum age in months"), null=True, blank=True)
    max_age_months = models.PositiveIntegerField(_("maximum age in months"), null=True, blank=True)
    # The registry's own eligibility criteria, as written there (English).
    eligibility_text = models.TextField(_("eligibility criteria, as the registry writes them"), blank=True)
    start_date = models.CharField(_("start date"), max_length=10, blank=True)
    start_date_type = models.CharField(_("start date is"), max_length=10, choices=DateType.choices, blank=True)
    primary_completion_date = models.CharField(_("primary completion date"), max_length=10, blank=True)
    completion_date = models.CharField(_("completion date"), max_length=10, blank=True)
    completion_date_type = models.CharField(
        _("completion date is"), max_length=10, choices=DateType.choices, blank=True
    )
    first_posted = models.CharField(_("first posted"), max_length=10, blank=True)
    last_update_posted = models.CharField(_("record last updated"), max_length=10, blank=True)

    # Where the registry facts came from, and when; set by the importer only.
    facts_source = models.CharField(
        _("registry facts from"), max_length=20, choices=FactsSource.choices, default=FactsSource.FILE
    )
    facts_fetched_on = models.DateField(_("fetched from ClinicalTrials.gov on"), null=True, blank=True)
    facts_compiled_on = models.DateField(_("compiled from copies of the record on"), null=True, blank=True)
    registry_source = models.CharField(_("imported from"), max_length=200, blank=True)

    # Plain-language content, written by staff and translated.
    plain_title = models.CharField(_("plain-language title"), max_length=200, blank=True)
    condition_slug = models.SlugField(_("condition key"), max_length=50, blank=True)
    condition_label = models.CharField(_("condition, in plain words"), max_length=100, blank=True)
    age_rule = models.CharField(
        _("who can join, in one line"),
        max_length=200,
        blank=True,
        help_text=_("The eligibility rule a parent reads first, for example “Diagnosed before their first birthday”."),
    )
    summary = models.TextField(_("summary"), blank=True)
    involvement = models.TextField(_("what taking part involves"), blank=True)
    risks = models.TextField(
        _("risks and side effects"),
        blank=True,
        help_text=_("What is generally known of this kind of treatment, marked as such, and what to ask the team."),
    )
    status_note = models.TextField(_("note on the status"), blank=True)
    unknowns_note = models.TextField(_("what is not known"), blank=True)
    # An imported trial is a draft until staff publish it (with its plain-language title and summary).
    is_published = models.BooleanField(_("published"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    # The pre-screener never tells a guardian "may qualify" for a trial with rules it does not know.
    criteria_complete = models.BooleanField(
        _("criteria complete"),
        default=False,
        help_text=_(
            "Tick only when every published criterion of this trial is entered as a rule and checked. Until then "
            "the pre-screener never says a child may qualify: it says the study team must check the rest."
        ),
    )

    objects = TrialQuerySet.as_manager()

    class Meta:
        ordering = ["order", "nct_id"]
        verbose_name = _("trial")
        verbose_name_plural = _("trials")

    def __str__(self):
        return f"{self.nct_id}: {self.plain_title or self.brief_title}"

    def get_absolute_url(self):
        return reverse("trial_detail", args=[self.nct_id])

    def missing_for_publishing(self) -> list[str]:
        """What a parent would miss on the public page: staff must write these first."""
        needed = [("plain_title", _("plain-language title")), ("summary", _("summary"))]
        return [str(label) for field, label in needed if not self.field_text(field, settings.LANGUAGE_CODE).strip()]

    @property
    def registry_url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.nct_id}"

    @property
    def is_recruiting(self) -> bool:
        return self.overall_status == self.Status.RECRUITING

    def get_overall_status_display(self) -> str:
        return RegistryStatus.label_of(self.overall_status)

    @property
    def from_registry_itself(self) -> bool:
        """True when the facts are ClinicalTrials.gov's own record, not copies of it."""
        return self.facts_source in (self.FactsSource.REGISTRY, self.FactsSource.REGISTRY_FILE)

    @cached_property
    def status_claims(self) -> list:
        """The sources that give a status, when the trial's sources are loaded (prefetch "sources")."""
        return [source for source in self.sources.all() if source.status]

    @property
    def status_disputed(self) -> bool:
        """Two sources give different statuses: no single status may be shown as the fact."""
        return len({source.status for source in self.status_claims}) > 1

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


class SiteQuerySet(models.QuerySet):
    def active(self):
        """Sites a guardian sees: active, and still listed by the registry when they came from it."""
        return self.filter(is_active=True, listed=True)


class Site(ReviewedContent):
    """A hospital where a trial runs, and the study team that answers messages there."""

    Status = RegistryStatus

    # Names and address parts as local readers write them, in each language.
    text_fields = ("facility", "street", "city", "state", "country")

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="sites")
    # Registry facts (contactsLocationsModule.locations), in English; staff add the other languages.
    # A site is one facility in one place: facility, city, state, postal code and country together.
    # Many registry locations have no facility name; they are named by their city.
    facility = models.CharField(_("hospital"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state or province"), max_length=100, blank=True)
    zip = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    location_approximate = models.BooleanField(
        _("place is approximate"),
        default=False,
        help_text=_("The registry gave no coordinates: the site is placed at the centre of its city."),
    )
    status = models.CharField(_("recruiting status"), max_length=30, choices=Status.choices, default=Status.UNKNOWN)
    from_registry = models.BooleanField(_("from the registry record"), default=False, editable=False)
    listed = models.BooleanField(
        _("listed in the registry record now"),
        default=True,
        help_text=_("Set by the importer: a site the record no longer lists is hidden until it is listed again."),
    )
    # Staff-kept facts.
    street = models.CharField(_("street address"), max_length=300, blank=True)
    team_email = models.EmailField(_("study team email"), blank=True)
    team_email_verified = models.BooleanField(
        _("address confirmed by staff"),
        default=False,
        help_text=_(
            "Guardians' messages go to this address only once staff have confirmed it. "
            "An address from the registry is a suggestion until then."
        ),
    )
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
        return f"{self.name}, {self.city}" if self.city and self.facility else str(self.name)

    @property
    def name(self) -> str:
        """The hospital's name, or for a registry location without one, its place."""
        if self.facility:
            return self.facility
        place = ", ".join(part for part in (self.city, self.country) if part)
        return _("Study site in %(place)s") % {"place": place} if place else _("Study site")

    @property
    def is_recruiting(self) -> bool:
        return self.status == self.Status.RECRUITING

    def get_status_display(self) -> str:
        return RegistryStatus.label_of(self.status)

    @property
    def can_receive_messages(self) -> bool:
        return bool(self.team_email) and self.team_email_verified

    def address_layout(self, language: str) -> list[tuple[tuple[str, ...], str, str]]:
        """How the reader's language writes a postal address: per line, the fields,
        what joins them, and how the postal code follows ("" for no code on that line).

        English goes from the street out to the country. Korean and Chinese go from
        the country in to the street, with the postal code in brackets; Chinese
        writes the parts without spaces.
        """
        if language.startswith("zh"):
            return [(("country", "state", "city", "street"), "", "（{}）")]
        if language == "ko":
            return [(("country", "state", "city", "street"), " ", " ({})")]
        return [(("street",), "", ""), (("city", "state"), ", ", " {}"), (("country",), "", "")]


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
        return reverse("glossary") + f"#{self.slug}"

    def match_forms(self) -> list[str]:
        forms = [self.term, *self.aliases.split(",")]
        return [form.strip() for form in forms if form.strip()]


class TrialSource(ReviewedContent):
    """A public copy of the trial's record that registry facts were taken from.

    Staff list them in the admin. Where two sources give different statuses, the
    status is shown as disputed, with each source and its date, and never as a plain fact.
    """

    text_fields = ("covers",)

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="sources")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=100, help_text=_("The site or registry, for example TrialX."))
    url = models.URLField(_("web address"), blank=True)
    seen_on = models.DateField(
        _("dated"),
        null=True,
        blank=True,
        help_text=_("The date the source itself carries. Leave empty if it has none."),
    )
    covers = models.CharField(_("facts taken from it"), max_length=300, blank=True)
    status = models.CharField(
        _("status it gives"),
        max_length=30,
        choices=Trial.Status.choices,
        blank=True,
        help_text=_("Fill this in to record what the source says about recruiting."),
    )

    class Meta:
        ordering = ["trial", "order", "id"]
        verbose_name = _("source of the facts")
        verbose_name_plural = _("sources of the facts")

    def __str__(self):
        return self.name

    def get_status_display(self) -> str:
        return RegistryStatus.label_of(self.status)
