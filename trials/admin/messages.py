"""The study-team inbox: contact messages in the admin.

A coordinator (a staff user listed in Site.coordinators, in the "Study team"
group; see `manage.py setup_roles`) sees and works only their own sites'
messages; a superuser sees all. Every query goes through get_queryset, so a
guessed URL for another site's message finds nothing. django-reversion keeps
each change in the message's history.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from reversion import add_to_revision, create_revision, set_comment, set_user
from reversion.admin import VersionAdmin

from trials.models import ContactMessage, Site
from trials.models.contact import CLOSED_STATUSES
from trials.services import contact_message_resend, resendable_messages

GUARDIAN_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "preferred_language",
    "location_text",
    "message",
    "prescreen_summary",
    "consent_text",
    "consented_at",
    "language",
]
DELIVERY_FIELDS = [
    "delivery_status",
    "team_email_sent_at",
    "guardian_copy_sent_at",
    "delivery_attempts",
    "last_delivery_error",
]
CSV_COLUMNS = [
    ("id", _("message")),
    ("created_at", _("received")),
    ("trial__nct_id", _("trial")),
    ("site__facility", _("study site")),
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("email", _("Email")),
    ("phone", _("Phone number")),
    ("preferred_language", _("Preferred language")),
    ("location_text", _("Your location")),
    ("message", _("Message")),
    ("status", _("status")),
    ("status_reason", _("reason")),
    ("first_contacted_at", _("first contacted at")),
    ("closed_at", _("closed at")),
    ("delivery_status", _("delivery")),
]


class ContactMessageForm(forms.ModelForm):
    class Meta:
        model = ContactMessage
        fields = ["status", "status_reason", "internal_notes"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") in CLOSED_STATUSES and not (cleaned.get("status_reason") or "").strip():
            self.add_error("status_reason", _("Please give the reason for this status."))
        return cleaned


class OwnSiteFilter(admin.SimpleListFilter):
    """Lists only the sites the user may see, so no other site's name shows."""

    title = _("study site")
    parameter_name = "site"

    def lookups(self, request, model_admin):
        sites = Site.objects.select_related("trial")
        if not request.user.is_superuser:
            sites = sites.filter(coordinators=request.user)
        return [(site.pk, f"{site.facility} ({site.trial.nct_id})") for site in sites]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(site_id=self.value())
        return queryset


@admin.register(ContactMessage)
class ContactMessageAdmin(VersionAdmin):
    form = ContactMessageForm
    list_display = [
        "pk",
        "created_at",
        "guardian",
        "trial",
        "site",
        "status",
        "time_to_first_contact_display",
        "delivery_status",
    ]
    list_display_links = ["pk", "created_at"]
    list_filter = ["status", OwnSiteFilter, "trial", ("created_at", admin.DateFieldListFilter), "delivery_status"]
    date_hierarchy = "created_at"
    search_fields = ["first_name", "last_name", "email", "phone"]
    list_select_related = ["trial", "site"]
    actions = ["export_csv", "resend"]
    readonly_fields = [
        "trial",
        "site",
        "created_at",
        *GUARDIAN_FIELDS,
        "first_contacted_at",
        "closed_at",
        "time_to_first_contact_display",
        "personal_data_purged_at",
        *DELIVERY_FIELDS,
    ]
    fieldsets = [
        (
            _("The study team's work"),
            {
                "fields": [
                    "status",
                    "status_reason",
                    "internal_notes",
                    "first_contacted_at",
                    "time_to_first_contact_display",
                    "closed_at",
                ]
            },
        ),
        (
            _("From the guardian"),
            {"fields": ["trial", "site", "created_at", *GUARDIAN_FIELDS, "personal_data_purged_at"]},
        ),
        (_("Email delivery"), {"fields": DELIVERY_FIELDS}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def may_see(self, request, obj) -> bool:
        return request.user.is_superuser or obj.site.coordinators.filter(pk=request.user.pk).exists()

    def has_add_permission(self, request):
        return False  # Messages come only from guardians.

    def has_delete_permission(self, request, obj=None):
        # A message is never lost, not even by a click: personal data leaves
        # only through purge_messages, after the retention period.
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or self.may_see(request, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or self.may_see(request, obj))

    def visible_or_404(self, request, object_id):
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404("No such message")

    def history_view(self, request, object_id, extra_context=None):
        self.visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        self.visible_or_404(request, object_id)
        return super().revision_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        obj.record_status_dates(timezone.now())
        super().save_model(request, obj, form, change)

    @admin.display(description=_("guardian"))
    def guardian(self, obj):
        return f"{obj.first_name} {obj.last_name}".strip() or "—"

    @admin.display(description=_("time to first contact"))
    def time_to_first_contact_display(self, obj):
        if obj.first_contacted_at:
            return timesince(obj.created_at, obj.first_contacted_at)
        if obj.created_at:
            return _("not yet (waiting %(time)s)") % {"time": timesince(obj.created_at)}
        return "—"

    @admin.action(description=_("Export the selected messages as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        # The action's queryset comes from get_queryset; filtering again costs
        # nothing and keeps the export inside the wall on its own.
        queryset = queryset.filter(pk__in=self.get_queryset(request).values("pk")).order_by("created_at")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="messages-{timezone.now():%Y-%m-%d}.csv"'
        response.write("\ufeff")  # So spreadsheet programs read Korean and Chinese as UTF-8.
        writer = csv.writer(response)
        writer.writerow([str(label) for _field, label in CSV_COLUMNS])
        for row in queryset.values_list(*[field for field, _label in CSV_COLUMNS]):
            writer.writerow([spreadsheet_safe(value) for value in row])
        return response

    @admin.action(
        description=_("Send again (delivery failed, or still waiting after 12 hours)"), permissions=["change"]
    )
    def resend(self, request, queryset):
        queued = 0
        for message in queryset.filter(pk__in=resendable_messages().values("pk")):
            with create_revision():
                set_user(request.user)
                set_comment(str(_("Delivery queued again")))
                if contact_message_resend(message=message):
                    message.refresh_from_db()
                    add_to_revision(message)
                    queued += 1
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", queued) % {"count": queued},
            messages.SUCCESS if queued else messages.WARNING,
        )


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
