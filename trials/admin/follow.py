"""Followers in the admin: counts per trial for staff, addresses only for those given the right to see them.

Seeing who follows a trial is a decision, so it takes the permission made for
it (trials.view_follower_addresses, the "Followers' addresses" group of
`manage.py setup_roles`), given to the user or their group. A superuser has
every permission implicitly, and so is not enough here: even a superuser must
be given this one, and that grant is recorded in the admin's history.
"""

from django.contrib import admin, messages
from django.contrib.auth.models import Permission
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from trials.alerts import follower_email_resend
from trials.models import Follow, Follower, FollowerEmail, TrialFollowing

ADDRESSES_PERMISSION = "view_follower_addresses"


def can_see_addresses(user) -> bool:
    """Granted explicitly, to the user or to one of their groups; being a superuser is not enough."""
    if not (user.is_active and user.is_staff):
        return False
    granted = Permission.objects.filter(content_type__app_label="trials", codename=ADDRESSES_PERMISSION)
    return granted.filter(Q(user=user) | Q(group__user=user)).exists()


def counted(kind: str, confirmed: bool) -> Count:
    return Count(
        "follows",
        filter=Q(follows__kind=kind, follows__confirmed_at__isnull=not confirmed),
        distinct=True,
    )


@admin.register(TrialFollowing)
class TrialFollowingAdmin(admin.ModelAdmin):
    """How many people follow each trial, confirmed or still waiting to confirm. Never who."""

    list_display = (
        "nct_id",
        "plain_title",
        "trial_confirmed",
        "trial_waiting",
        "condition_confirmed",
        "condition_waiting",
    )
    list_display_links = None
    search_fields = ("nct_id", "plain_title", "brief_title")
    list_filter = ("is_published",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                trial_yes=counted(Follow.Kind.TRIAL, True),
                trial_no=counted(Follow.Kind.TRIAL, False),
                condition_yes=counted(Follow.Kind.CONDITION, True),
                condition_no=counted(Follow.Kind.CONDITION, False),
            )
        )

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.has_perm("trials.view_trial") or user.has_perm("trials.view_trialfollowing")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("following this trial: confirmed"), ordering="trial_yes")
    def trial_confirmed(self, obj):
        return obj.trial_yes

    @admin.display(description=_("following this trial: waiting to confirm"), ordering="trial_no")
    def trial_waiting(self, obj):
        return obj.trial_no

    @admin.display(description=_("new trials for its illness: confirmed"), ordering="condition_yes")
    def condition_confirmed(self, obj):
        return obj.condition_yes

    @admin.display(description=_("new trials for its illness: waiting to confirm"), ordering="condition_no")
    def condition_waiting(self, obj):
        return obj.condition_no

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return (*shown, "addresses") if can_see_addresses(request.user) else shown

    @admin.display(description=_("addresses"))
    def addresses(self, obj):
        if not (obj.trial_yes or obj.trial_no or obj.condition_yes or obj.condition_no):
            return "—"
        url = reverse("admin:trials_follower_changelist") + f"?follows__trial__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("See the addresses"))


@admin.register(Follower)
class FollowerAdmin(admin.ModelAdmin):
    """The addresses themselves: only for staff given the permission made for it. Deleting one is erasing it."""

    list_display = ("email", "language", "created_at", "followed", "last_digest_at")
    list_filter = ("language", "follows__trial")
    search_fields = ("email",)
    readonly_fields = ("email", "language", "created_at", "followed", "last_digest_at")
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("follows__trial")

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_term.strip().lower())

    def has_module_permission(self, request):
        return can_see_addresses(request.user)

    def has_view_permission(self, request, obj=None):
        return can_see_addresses(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Erasing an address on request; it takes the right to see it as well.
        return can_see_addresses(request.user) and request.user.has_perm("trials.delete_follower")

    def get_deleted_objects(self, objs, request):
        # Erasing an address takes what is kept with it (its follows, alerts and unsent emails), whatever
        # the admin allows on those models by themselves.
        deleted, counts, _needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    @admin.display(description=_("follows"))
    def followed(self, obj):
        return format_html_join(
            "",
            "<div>{} {}: {}</div>",
            (
                (
                    follow.trial.nct_id,
                    follow.get_kind_display(),
                    _("confirmed") if follow.confirmed_at else _("waiting to confirm"),
                )
                for follow in obj.follows.all()
            ),
        )


@admin.register(FollowerEmail)
class FollowerEmailAdmin(admin.ModelAdmin):
    """Emails to followers still to send, or failed after every retry. No address is shown."""

    list_display = ("__str__", "kind", "delivery_status", "attempts", "last_error", "created_at", "due_at")
    list_filter = ("delivery_status", "kind")
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return ["kind", "language", "delivery_status", "attempts", "last_error", "created_at", "due_at"]

    @admin.action(description=_("Send the selected failed emails again"), permissions=["view"])
    def send_again(self, request, queryset):
        count = sum(follower_email_resend(row=row) for row in queryset)
        self.message_user(
            request,
            ngettext("%(count)d email queued again.", "%(count)d emails queued again.", count) % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
