"""The study-team inbox: contact messages in the admin.

A coordinator (a staff user listed in Site.coordinators, in the "Study team"
group; see `manage.py setup_roles`) sees and works only their own sites'
messages; a superuser sees all. The rule is written once,
`trials.models.contact.sites_visible_to`, and every query, filter, action and
history view goes through it. django-reversion keeps each change in the
message's history; notes are an append-only log with author and time.
"""

import csv
import re

import phonenumbers
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from reversion import add_to_revision, create_revision, set_comment, set_user
from reversion.admin import VersionAdmin

from trials.emails import guardian_name, phone_display
from trials.models import ContactMessage, DeliveryAttempt, MessageNote, Trial
from trials.models.contact import CLOSED_STATUSES, sites_visible_to
from trials.services import contact_message_erase, contact_message_resend, site_time_zone

GUARDIAN_FIELDS = [
    "reference",
    "trial",
    "site",
    "created_at",
    "relationship",
    "guardian_name_display",
    "email_link",
    "phone_link",
    "preferred_language",
    "child_age_display",
    "location_text",
    "message",
    "prescreen_outcome",
    "prescreen_summary",
    "consent_text",
    "consented_at",
    "language",
    "personal_data_purged_at",
]
DELIVERY_FIELDS = [
    "delivery_status",
    "team_email_sent_at",
    "guardian_copy_sent_at",
    "delivery_attempts",
    "last_delivery_error",
]


class ContactMessageForm(forms.ModelForm):
    add_note = forms.CharField(
        label=_("Add a note for the team"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Notes are kept with your name and the time. They cannot be changed later."),
    )

    class Meta:
        model = ContactMessage
        fields = ["status", "status_reason", "assigned_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assigned_to" in self.fields:
            # Only someone who may see the message can be given it.
            site = self.instance.site if self.instance.pk else None
            users = get_user_model().objects.filter(is_active=True, is_staff=True)
            self.fields["assigned_to"].queryset = users.filter(study_sites=site) if site else users.none()

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
        sites = sites_visible_to(request.user).select_related("trial")
        return [(str(site.pk), f"{site.facility} ({site.trial.nct_id})") for site in sites]

    def queryset(self, request, queryset):
        # Only a site offered above; anything else (another site's id, a number past any column) shows nothing.
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(site_id=int(value)) if value in dict(self.lookup_choices) else queryset.none()


class OwnTrialFilter(admin.SimpleListFilter):
    title = _("trial")
    parameter_name = "trial"

    def lookups(self, request, model_admin):
        trials = Trial.objects.filter(sites__in=sites_visible_to(request.user)).distinct()
        return [(str(trial.pk), trial.nct_id) for trial in trials]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(trial_id=int(value)) if value in dict(self.lookup_choices) else queryset.none()


class WorkFilter(admin.SimpleListFilter):
    title = _("to do")
    parameter_name = "todo"

    def lookups(self, request, model_admin):
        return [
            ("mine", _("Assigned to me")),
            ("unassigned", _("Not assigned")),
            ("new", _("New (no first contact yet)")),
            ("overdue", _("Overdue (no first contact in time)")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "mine":
            return queryset.filter(assigned_to=request.user)
        if value == "unassigned":
            return queryset.filter(assigned_to__isnull=True)
        if value == "new":
            return queryset.waiting_for_first_contact()
        if value == "overdue":
            return queryset.overdue()
        return queryset


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "started_at", "finished_at", "outcome", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("Email delivery: every attempt")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # the message itself is already behind the wall


@admin.register(ContactMessage)
class ContactMessageAdmin(VersionAdmin):
    form = ContactMessageForm
    list_display = [
        "reference",
        "received",
        "guardian",
        "site_short",
        "status",
        "assigned_to",
        "first_contact",
        "delivery_status",
    ]
    list_display_links = ["reference", "received"]
    list_filter = [WorkFilter, "status", OwnSiteFilter, OwnTrialFilter, "delivery_status", "created_at"]
    search_fields = ["reference", "first_name", "last_name", "email", "phone"]
    list_select_related = ["trial", "site", "assigned_to"]
    list_per_page = 50
    actions = ["assign_to_me", "export_csv", "resend", "erase_personal_data"]
    inlines = [DeliveryAttemptInline]
    readonly_fields = [
        *GUARDIAN_FIELDS,
        "notes_log",
        "first_contacted_at",
        "closed_at",
        "first_contact",
        *DELIVERY_FIELDS,
    ]
    fieldsets = [
        (_("From the guardian"), {"fields": GUARDIAN_FIELDS}),
        (
            _("The study team's work"),
            {
                "fields": [
                    "status",
                    "status_reason",
                    "assigned_to",
                    "notes_log",
                    "add_note",
                    "first_contacted_at",
                    "first_contact",
                    "closed_at",
                ]
            },
        ),
        (_("Email delivery"), {"fields": DELIVERY_FIELDS}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def may_see(self, request, obj) -> bool:
        return sites_visible_to(request.user).filter(pk=obj.site_id).exists()

    def has_add_permission(self, request):
        return False  # Messages come only from guardians.

    def has_delete_permission(self, request, obj=None):
        # A message is never lost by a click: personal data leaves only by
        # purge_messages or the "erase" action, and the row stays for the counts.
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or self.may_see(request, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or self.may_see(request, obj))

    def visible_or_404(self, request, object_id):
        if not str(object_id).isdigit() or not self.get_queryset(request).filter(pk=int(object_id)).exists():
            raise Http404("No such message")

    def history_view(self, request, object_id, extra_context=None):
        self.visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        self.visible_or_404(request, object_id)
        return super().revision_view(request, object_id, version_id, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        raise Http404("Messages are never deleted, so there is nothing to recover")

    def save_model(self, request, obj, form, change):
        obj.record_status_dates(timezone.now())
        super().save_model(request, obj, form, change)
        text = (form.cleaned_data.get("add_note") or "").strip()
        if text:
            MessageNote.objects.create(
                message=obj,
                author=request.user,
                author_name=request.user.get_full_name() or request.user.get_username(),
                text=text.replace("\r\n", "\n"),
            )

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        if form.cleaned_data.get("add_note"):
            message.append({"added": {"name": str(_("note")), "object": ""}})
        return message

    # Columns and read-only fields.

    @admin.display(description=_("received"), ordering="created_at")
    def received(self, obj):
        return local_time(obj, obj.created_at)

    @admin.display(description=_("guardian"))
    def guardian(self, obj):
        parts = [guardian_name(obj) or "—"]
        if obj.relationship:
            parts.append(obj.get_relationship_display())
        if obj.child_age is not None:
            parts.append(str(_("child %(age)s") % {"age": obj.child_age_display()}))
        return " · ".join(parts)

    @admin.display(description=_("study site"), ordering="site__facility")
    def site_short(self, obj):
        return obj.site.facility if len(obj.site.facility) <= 40 else obj.site.facility[:38] + "…"

    @admin.display(description=_("first contact"))
    def first_contact(self, obj):
        if obj.first_contacted_at:
            return _("after %(time)s") % {"time": timesince(obj.created_at, obj.first_contacted_at)}
        if obj.created_at and obj.personal_data_purged_at is None:
            return _("not yet (waiting %(time)s)") % {"time": timesince(obj.created_at)}
        return "—"

    @admin.display(description=_("name"))
    def guardian_name_display(self, obj):
        return guardian_name(obj)

    @admin.display(description=_("email"))
    def email_link(self, obj):
        return format_html('<a href="mailto:{}">{}</a>', obj.email, obj.email) if obj.email else "—"

    @admin.display(description=_("phone number"))
    def phone_link(self, obj):
        if not obj.phone:
            return "—"
        tel = obj.phone + (f";ext={obj.phone_extension}" if obj.phone_extension else "")
        return format_html('<a href="tel:{}">{}</a>', tel, phone_display(obj.phone, obj.phone_extension))

    @admin.display(description=_("child's age"))
    def child_age_display(self, obj):
        return obj.child_age_display() or "—"

    @admin.display(description=_("notes"))
    def notes_log(self, obj):
        notes = list(obj.notes.all()) if obj.pk else []
        if not notes:
            return _("No notes yet.")
        rows = [(note.author_name, local_time(obj, note.created_at), note.text) for note in notes]
        return format_html(
            '<ol class="note-log">{}</ol>',
            format_html_join("", '<li><strong>{}</strong>, {}<br><span class="note-text">{}</span></li>', rows),
        )

    # Actions.

    @admin.action(description=_("Assign the selected messages to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        mine = queryset.filter(site__in=request.user.study_sites.all()) if not request.user.is_superuser else queryset
        count = 0
        for message in mine:
            with create_revision():
                set_user(request.user)
                set_comment(str(_("Assigned to %(name)s") % {"name": request.user.get_username()}))
                message.assigned_to = request.user
                message.save(update_fields=["assigned_to"])
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d message assigned to you.", "%(count)d messages assigned to you.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.action(description=_("Export the selected messages as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        # The action's queryset comes from get_queryset; filtering again costs
        # nothing and keeps the export inside the wall on its own.
        queryset = (
            queryset.filter(pk__in=self.get_queryset(request).values("pk"))
            .select_related("trial", "site", "assigned_to")
            .prefetch_related("notes")
            .order_by("created_at")
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="messages-{timezone.now():%Y-%m-%d}.csv"'
        response.write("\ufeff")  # So spreadsheet programs read Korean and Chinese as UTF-8.
        writer = csv.writer(response)
        writer.writerow([str(label) for label, _value in csv_row(None)])
        for message in queryset:
            writer.writerow([spreadsheet_safe(value) for _label, value in csv_row(message)])
        return response

    @admin.action(description=_("Send again (delivery failed or stuck)"), permissions=["change"])
    def resend(self, request, queryset):
        queued = 0
        for message in queryset:
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

    @admin.action(description=_("Erase the personal data of the selected messages now"), permissions=["change"])
    def erase_personal_data(self, request, queryset):
        queryset = queryset.with_personal_data()
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Erase personal data"),
                "messages_to_erase": queryset,
                "opts": self.model._meta,
                "action_name": "erase_personal_data",
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            }
            return TemplateResponse(request, "admin/trials/contactmessage/erase_confirmation.html", context)
        erased = 0
        with transaction.atomic():
            for message in queryset:
                erased += contact_message_erase(message=message)
        self.message_user(
            request,
            ngettext(
                "The personal data of %(count)d message was erased.",
                "The personal data of %(count)d messages was erased.",
                erased,
            )
            % {"count": erased},
            messages.SUCCESS,
        )


def local_time(message, moment) -> str:
    """A time as the site's team reads it: their own time zone, to the minute."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, site_time_zone(message.site))
    return f"{date_format(local, 'SHORT_DATE_FORMAT')} {local:%H:%M}"


def csv_row(message):
    """(column title, value) pairs; with None, only the titles matter."""
    m = message

    def value(getter):
        return getter() if m is not None else None

    return [
        (_("reference"), value(lambda: m.reference)),
        (_("received (site's local time)"), value(lambda: csv_time(m, m.created_at))),
        (_("trial"), value(lambda: m.trial.nct_id)),
        (_("study site"), value(lambda: m.site.facility)),
        (_("writing as"), value(lambda: m.get_relationship_display())),
        (_("first name"), value(lambda: m.first_name)),
        (_("family name"), value(lambda: m.last_name)),
        (_("email"), value(lambda: m.email)),
        (_("phone number"), value(lambda: phone_display(m.phone, m.phone_extension))),
        (_("preferred language"), value(lambda: m.get_preferred_language_display())),
        (_("child's age"), value(lambda: m.child_age_display())),
        (_("where they are"), value(lambda: m.location_text)),
        (_("message"), value(lambda: m.message)),
        (_("pre-screen result"), value(lambda: m.prescreen_outcome)),
        (_("pre-screen answers"), value(lambda: m.prescreen_summary)),
        (_("status"), value(lambda: m.get_status_display())),
        (_("reason"), value(lambda: m.status_reason)),
        (_("assigned to"), value(lambda: m.assigned_to.get_username() if m.assigned_to else "")),
        (_("first contacted at"), value(lambda: csv_time(m, m.first_contacted_at))),
        (
            _("days to first contact"),
            value(
                lambda: (
                    f"{(m.first_contacted_at - m.created_at).total_seconds() / 86400:.1f}"
                    if m.first_contacted_at
                    else ""
                )
            ),
        ),
        (_("closed at"), value(lambda: csv_time(m, m.closed_at))),
        (
            _("notes"),
            value(
                lambda: "\n".join(
                    f"{csv_time(m, note.created_at)} {note.author_name}: {note.text}" for note in m.notes.all()
                )
            ),
        ),
        (_("delivery"), value(lambda: m.get_delivery_status_display())),
    ]


def csv_time(message, moment) -> str:
    if moment is None:
        return ""
    return f"{timezone.localtime(moment, site_time_zone(message.site)):%Y-%m-%d %H:%M}"


PHONE_CELL = re.compile(r"^\+\d[\d ()-]*(?: ext\. \d+)?$")


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula.

    A phone number as we store it (validated, "+82 10-1234-5678") is left as
    it is: it cannot hold a formula, and an apostrophe would show in the cell.
    """
    if value is None:
        return ""
    text = str(value)
    if PHONE_CELL.match(text) and phonenumbers.is_possible_number_string(text.split(" ext.")[0], None):
        return text
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
