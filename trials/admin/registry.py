"""Registry changes waiting for staff: each difference between a trial and its ClinicalTrials.gov record,
side by side, with accept and reject. Nothing a parent sees changes until a change is accepted."""

import json

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from trials import registry
from trials.models import PendingChange
from trials.models.content import RegistryStatus


def shown(value, *, status: bool = False) -> str:
    """A value as staff read it: a status by its name (with the registry's code), lists one item a line."""
    if value in (None, "", []):
        return "—"
    if status and value in RegistryStatus.values:
        return f"{RegistryStatus(value).label} ({value})"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, indent=1)
    return str(value)


def is_status(change: PendingChange) -> bool:
    return change.field == "overall_status" or change.kind != PendingChange.Kind.FACT


@admin.register(PendingChange)
class PendingChangeAdmin(admin.ModelAdmin):
    list_display = ("trial", "what", "site", "before", "after", "state", "created_at", "decided_by")
    list_display_links = ("what",)
    list_filter = ("state", "kind", "trial")
    list_select_related = ("trial", "site", "decided_by")
    search_fields = ("trial__nct_id", "field")
    actions = ["accept", "reject"]
    readonly_fields = [field.name for field in PendingChange._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A decision is history: a rejected change must stay, so it is not raised again.
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.GET.get("state__exact") else queryset.order_by("state", "-created_at")

    @admin.display(description=_("on the site now"))
    def before(self, obj):
        return format_html('<span class="change-before">{}</span>', shown(obj.old_value, status=is_status(obj))[:120])

    @admin.display(description=_("in the registry record"))
    def after(self, obj):
        return format_html('<span class="change-after">{}</span>', shown(obj.new_value, status=is_status(obj))[:120])

    def get_urls(self):
        review = self.admin_site.admin_view(self.review_view)
        return [path("<int:change_id>/review/", review, name="trials_pendingchange_review"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The change page is the side-by-side review.
        if object_id.isdigit():
            return HttpResponseRedirect(reverse("admin:trials_pendingchange_review", args=[object_id]))
        return super().change_view(request, object_id, form_url, extra_context)

    def review_view(self, request, change_id):
        change = self.get_queryset(request).filter(pk=change_id).select_related("trial", "site").first()
        if change is None:
            self.message_user(request, _("That change does not exist."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:trials_pendingchange_changelist"))
        if request.method == "POST" and change.state == PendingChange.State.PENDING:
            if not self.has_change_permission(request, change):
                return HttpResponseRedirect(reverse("admin:trials_pendingchange_changelist"))
            if "accept" in request.POST:
                registry.change_accept(change=change, user=request.user)
                self.message_user(request, _("Accepted: the site now shows the registry's value."), messages.SUCCESS)
            elif "reject" in request.POST:
                registry.change_reject(change=change, user=request.user)
                self.message_user(request, _("Rejected: this difference will not be raised again."), messages.INFO)
            following = PendingChange.objects.pending().filter(trial=change.trial).first()
            target = following or change
            return HttpResponseRedirect(reverse("admin:trials_pendingchange_review", args=[target.pk]))
        others = PendingChange.objects.pending().filter(trial=change.trial).exclude(pk=change.pk).count()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Review a registry change"),
            "change": change,
            "before": shown(change.old_value, status=is_status(change)),
            "after": shown(
                change.new_value if change.kind != PendingChange.Kind.SITE_ADDED else change.site_facts,
                status=is_status(change),
            ),
            "others": others,
            "can_decide": self.has_change_permission(request, change) and change.state == PendingChange.State.PENDING,
        }
        return TemplateResponse(request, "admin/trials/pendingchange/review.html", context)

    @admin.action(description=_("Accept the selected changes"), permissions=["change"])
    def accept(self, request, queryset):
        count = registry.changes_decide(changes=list(queryset.pending()), user=request.user, accept=True)
        self.message_user(
            request, ngettext("%(count)d change accepted.", "%(count)d changes accepted.", count) % {"count": count}
        )

    @admin.action(description=_("Reject the selected changes"), permissions=["change"])
    def reject(self, request, queryset):
        count = registry.changes_decide(changes=list(queryset.pending()), user=request.user, accept=False)
        self.message_user(
            request, ngettext("%(count)d change rejected.", "%(count)d changes rejected.", count) % {"count": count}
        )
