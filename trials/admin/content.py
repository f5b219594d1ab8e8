"""Admin for trials, sites, treatment paths, FAQs and glossary terms.

Registry facts are read-only here: they come from `import_trials`. Staff edit
the plain-language text in every language, side by side. Each English text
field shows its reading grade; each text field shows who last reviewed it, in
each language, and can be marked reviewed. Editing an English text marks its
reviewed translations "may be out of date". django-reversion keeps the
history, one entry per real change, and django-reversion-compare shows what
changed between two entries, field by field.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline
from reversion import create_revision, set_comment, set_user
from reversion_compare.admin import CompareVersionAdmin

from trials import readability, signals
from trials.cache import bump_content_version
from trials.models import (
    FAQ,
    FieldReview,
    GlossaryTerm,
    PendingChange,
    Site,
    TreatmentGroup,
    TreatmentStep,
    Trial,
    TrialSource,
)
from trials.models.content import text_hash

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def review_choices(model) -> list[tuple[str, str]]:
    return [
        (f"{field}:{code}", f"{model._meta.get_field(field).verbose_name} · {LANGUAGE_NAMES[code]}")
        for field in model.text_fields
        for code in LANGUAGE_NAMES
    ]


class ReviewForm(forms.ModelForm):
    mark_reviewed = forms.MultipleChoiceField(
        label=_("Mark as reviewed now"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick each text you have checked, in each language. An edit after a review needs a new review."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mark_reviewed"].choices = review_choices(self._meta.model)

    def clean(self):
        cleaned = super().clean()
        # Browsers send text areas with Windows line endings. Unchanged text must
        # stay byte-for-byte the same, or history shows false edits and reviews go stale.
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = same_line_endings(value)
        return cleaned

    @property
    def changed_data(self):
        """Fields whose value really changed: a text that differs only in its
        line endings (as every browser sends them) is not a change."""
        changed = []
        for name in super().changed_data:
            field = self.fields[name]
            initial = self.get_initial_for_field(field, name)
            value = self[name].data
            if (
                isinstance(value, str)
                and isinstance(initial, str | type(None))
                and same_line_endings(value).strip() == same_line_endings(initial or "").strip()
            ):
                continue
            changed.append(name)
        return changed


def same_line_endings(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class ReviewedContentAdmin(CompareVersionAdmin, TranslationAdmin):
    """Shared by every admin of translated, reviewed text."""

    form = ReviewForm

    def reversion_register(self, model, **kwargs):
        # A save that changes nothing adds nothing to the history.
        super().reversion_register(model, ignore_duplicates=True, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        model_name = self.model._meta.model_name
        # The reading grade of the saved English text, beside each field.
        for field in self.model.text_fields:
            target = readability.target_for(model_name, field)
            name = f"{field}_{settings.LANGUAGE_CODE}"
            if obj is not None and name in form.base_fields:
                text = obj.field_text(field, settings.LANGUAGE_CODE)
                grade = readability.grade(text)
                if target is not None:
                    verdict = _("fine") if grade <= target else _("too hard: use shorter sentences and words")
                    note = _("Reading grade %(grade)s (target %(target)s or lower): %(verdict)s.") % {
                        "grade": grade,
                        "target": target,
                        "verdict": verdict,
                    }
                elif text and len(text) > 80:
                    note = _("Reading grade %(grade)s.") % {"grade": grade}
                else:
                    note = ""
                form.base_fields[name].help_text = note
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        fields = [f for f in fieldsets[0][1]["fields"] if f not in ("mark_reviewed", "review_status")]
        result = [(None, {**fieldsets[0][1], "fields": fields}), *fieldsets[1:]]
        reviewing = (["review_status"] if obj else []) + ["mark_reviewed"]
        return [*result, (_("Review of the text"), {"fields": reviewing})]

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "review_status")

    @admin.display(description=_("Reviews"))
    def review_status(self, obj):
        rows = []
        for field in obj.text_fields:
            for code in LANGUAGE_NAMES:
                text = obj.field_text(field, code)
                if not text:
                    continue
                review = obj.review_for(field, code)
                if review is None:
                    state = _("not reviewed")
                else:
                    details = {"name": review.reviewer_name, "date": f"{review.reviewed_at:%Y-%m-%d}"}
                    state = {
                        FieldReview.CHANGED: _("changed since %(name)s reviewed it on %(date)s"),
                        FieldReview.SOURCE_CHANGED: _(
                            "may be out of date: the English text changed after %(name)s reviewed this on %(date)s"
                        ),
                        FieldReview.REVIEWED: _("reviewed by %(name)s on %(date)s"),
                    }[review.state_for(obj)] % details
                label = f"{obj._meta.get_field(field).verbose_name} · {LANGUAGE_NAMES[code]}"
                rows.append((label, state))
        if not rows:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", rows))

    def save_model(self, request, obj, form, change):
        # Nothing in the text changed: no save, so no history entry and no stale
        # reviews. Reviews ticked on the form are still recorded below.
        if not change or any(name != "mark_reviewed" for name in form.changed_data):
            if change:
                keep_translations_out_of_date(obj)
            super().save_model(request, obj, form, change)
        content_type = ContentType.objects.get_for_model(obj)
        for choice in form.cleaned_data.get("mark_reviewed", []):
            field, code = choice.split(":")
            FieldReview.objects.update_or_create(
                content_type=content_type,
                object_id=obj.pk,
                field=field,
                language=code,
                defaults={
                    "reviewed_by": request.user,
                    "reviewer_name": request.user.get_full_name() or request.user.get_username(),
                    "reviewed_at": timezone.now(),
                    "text_hash": text_hash(obj.field_text(field, code)),
                    "source_hash": text_hash(obj.field_text(field, settings.LANGUAGE_CODE)),
                },
            )


def keep_translations_out_of_date(obj) -> None:
    """Before an edit is saved: translation reviews made before reviews carried
    the English text's hash get the English as it was, so that an English edit
    marks them "may be out of date" like any other."""
    saved = type(obj)._default_manager.filter(pk=obj.pk).first()
    if saved is None:
        return
    for review in FieldReview.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, source_hash=""
    ).exclude(language=settings.LANGUAGE_CODE):
        review.source_hash = text_hash(saved.field_text(review.field, settings.LANGUAGE_CODE))
        review.save(update_fields=["source_hash"])


REGISTRY_FIELDS = (
    "nct_id",
    "brief_title",
    "official_title",
    "acronym",
    "org_study_id",
    "secondary_ids",
    "overall_status",
    "status_verified",
    "sponsor_en",
    "collaborators",
    "conditions",
    "keywords",
    "study_type",
    "phases",
    "allocation",
    "intervention_model",
    "masking",
    "primary_purpose",
    "enrollment",
    "enrollment_type",
    "interventions",
    "primary_outcomes",
    "sex",
    "minimum_age",
    "maximum_age",
    "min_age_months",
    "max_age_months",
    "eligibility_text",
    "start_date",
    "start_date_type",
    "primary_completion_date",
    "completion_date",
    "completion_date_type",
    "first_posted",
    "last_update_posted",
    "facts_source",
    "facts_fetched_on",
    "facts_compiled_on",
    "registry_source",
)


class TreatmentGroupInline(TranslationTabularInline):
    model = TreatmentGroup
    fields = ("order", "key", "name", "who")
    extra = 0
    show_change_link = True


class TrialSourceInline(TranslationTabularInline):
    """Where the registry facts were seen. Two sources giving different statuses make the status disputed."""

    model = TrialSource
    fields = ("order", "name", "url", "seen_on", "status", "covers")
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class TrialForm(ReviewForm):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_published"):
            trial = self.instance
            for name, value in cleaned.items():
                if name.endswith(f"_{settings.LANGUAGE_CODE}"):
                    setattr(trial, name, value)
            missing = trial.missing_for_publishing()
            if missing:
                self.add_error(
                    "is_published",
                    _("A parent would see an empty page. Write these first: %(missing)s.")
                    % {"missing": ", ".join(missing)},
                )
        return cleaned


@admin.register(Trial)
class TrialAdmin(ReviewedContentAdmin):
    form = TrialForm
    list_display = (
        "nct_id",
        "plain_title",
        "overall_status",
        "facts_source",
        "is_published",
        "criteria_complete",
        "pending_count",
    )
    list_filter = ("is_published", "criteria_complete", "overall_status", "facts_source", "condition_slug")
    search_fields = ("nct_id", "brief_title", "plain_title", "sponsor_en")
    readonly_fields = REGISTRY_FIELDS
    inlines = [TrialSourceInline, TreatmentGroupInline]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        pending = Count("pending_changes", filter=Q(pending_changes__state=PendingChange.State.PENDING))
        return super().get_queryset(request).annotate(pending=pending)

    @admin.display(description=_("changes to review"), ordering="pending")
    def pending_count(self, obj):
        return obj.pending or "—"

    @admin.action(description=_("Publish the selected trials"), permissions=["change"])
    def publish(self, request, queryset):
        published = 0
        for trial in queryset.filter(is_published=False):
            missing = trial.missing_for_publishing()
            if missing:
                self.message_user(
                    request,
                    _("%(trial)s was not published. Write these first: %(missing)s.")
                    % {"trial": trial.nct_id, "missing": ", ".join(missing)},
                    messages.ERROR,
                )
                continue
            trial.is_published = True
            with create_revision():
                set_user(request.user)
                set_comment(str(_("Published")))
                trial.save(update_fields=["is_published"])
            signals.announce_published(trial)
            published += 1
        if published:
            self.message_user(
                request,
                ngettext("%(count)d trial published.", "%(count)d trials published.", published) % {"count": published},
                messages.SUCCESS,
            )

    def save_model(self, request, obj, form, change):
        was_published = change and Trial.objects.filter(pk=obj.pk, is_published=True).exists()
        super().save_model(request, obj, form, change)
        if obj.is_published and not was_published:
            signals.announce_published(obj)

    @admin.action(description=_("Hide the selected trials from parents"), permissions=["change"])
    def unpublish(self, request, queryset):
        hidden = queryset.filter(is_published=True).update(is_published=False)
        bump_content_version()
        self.message_user(
            request, ngettext("%(count)d trial hidden.", "%(count)d trials hidden.", hidden) % {"count": hidden}
        )

    def get_fieldsets(self, request, obj=None):
        plain = [f for f in super().get_fieldsets(request, obj)[0][1]["fields"] if f not in REGISTRY_FIELDS]
        return [
            (_("Plain-language content (edited by staff)"), {"fields": plain}),
            (
                _("Registry facts (read-only: they come from import_trials)"),
                {"fields": REGISTRY_FIELDS, "classes": ["collapse"]},
            ),
            (_("Review of the text"), {"fields": ["review_status", "mark_reviewed"]}),
        ]

    def has_add_permission(self, request):
        # Trials come from the registry: `manage.py import_trials`.
        return False


SITE_REGISTRY_FIELDS = (
    "country_en",
    "state_en",
    "zip",
    "latitude",
    "longitude",
    "location_approximate",
    "status",
    "from_registry",
    "listed",
)


@admin.register(Site)
class SiteAdmin(ReviewedContentAdmin):
    list_display = ("name", "city", "trial", "status", "team_email", "team_email_verified", "listed", "is_active")
    list_filter = ("team_email_verified", "listed", "is_active", "status", "country_en", "trial")
    search_fields = ("facility", "city", "team_email")
    filter_horizontal = ("coordinators",)
    actions = ["confirm_team_address"]

    @admin.action(description=_("Confirm the study-team address of the selected sites"), permissions=["change"])
    def confirm_team_address(self, request, queryset):
        """For addresses staff have checked with the team. Saving each site sends the messages held for it."""
        confirmed = 0
        for site in queryset.filter(team_email_verified=False).exclude(team_email=""):
            site.team_email_verified = True
            with create_revision():
                set_user(request.user)
                set_comment(str(_("Study-team address confirmed")))
                site.save(update_fields=["team_email_verified"])
            confirmed += 1
        self.message_user(
            request,
            ngettext("%(count)d address confirmed.", "%(count)d addresses confirmed.", confirmed)
            % {"count": confirmed},
            messages.SUCCESS,
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.from_registry:
            # The registry names the hospital in English; staff add the other languages.
            readonly += [*SITE_REGISTRY_FIELDS, "facility_en", "city_en", "trial"]
        return readonly


class TreatmentStepInline(TranslationTabularInline):
    model = TreatmentStep
    fields = ("order", "name", "duration", "is_transplant")
    extra = 0


@admin.register(TreatmentGroup)
class TreatmentGroupAdmin(ReviewedContentAdmin):
    list_display = ("name", "trial", "order")
    list_filter = ("trial",)
    inlines = [TreatmentStepInline]


@admin.register(FAQ)
class FAQAdmin(ReviewedContentAdmin):
    list_display = ("question", "trial", "topic", "order", "is_published")
    list_editable = ("order", "is_published")
    list_filter = ("trial", "topic", "is_published")
    search_fields = ("question", "answer", "key")
    ordering = ("trial", "topic", "order")


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(ReviewedContentAdmin):
    list_display = ("term", "slug", "aliases")
    search_fields = ("term", "aliases", "definition", "slug")
    prepopulated_fields = {"slug": ("term",)}


@admin.register(FieldReview)
class FieldReviewAdmin(admin.ModelAdmin):
    list_display = ("content_type", "object_id", "field", "language", "reviewer_name", "reviewed_at")
    list_filter = ("language", "content_type")
    search_fields = ("reviewer_name", "field")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
