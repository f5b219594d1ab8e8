"""The study-team inbox's counts on the admin home page."""

from django import template

register = template.Library()


@register.simple_tag
def inbox_counts(user):
    """New, overdue and own messages the user may see; None for staff outside any study team."""
    from trials.models import ContactMessage
    from trials.models.contact import CLOSED_STATUSES

    if not (user.is_superuser or user.has_perm("trials.view_contactmessage")):
        return None
    visible = ContactMessage.objects.visible_to(user)
    return {
        "new": visible.waiting_for_first_contact().count(),
        "overdue": visible.overdue().count(),
        "mine": visible.with_personal_data().filter(assigned_to=user).exclude(status__in=CLOSED_STATUSES).count(),
    }
