"""The "Tell me when this changes" form, placed on pages whose views know nothing of it."""

from django import template
from django.utils.translation import get_language

from trials.forms.follow import FollowForm
from trials.models.follow import CONFIRM_DAYS

register = template.Library()


@register.inclusion_tag("follow/_form.html")
def follow_form(trial, level=2):
    """An empty form, in the page's language; a cached trial page can carry it, as it holds nothing personal."""
    return {"trial": trial, "form": FollowForm(trial=trial, initial={"language": get_language()}), "level": level}


@register.simple_tag
def confirm_days() -> int:
    """How long a sign-up waits for its confirmation, for pages that explain it."""
    return CONFIRM_DAYS
