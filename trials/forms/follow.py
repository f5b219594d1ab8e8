"""The "Tell me when this changes" form: an email address, a language, and what to hear about.

It checks the address exactly as the contact form does (IDNA domains, no line
breaks) and shares its honeypot, so a bot that fills one fills the other.
"""

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from trials.follow import condition_name
from trials.forms.contact import EMAIL_MAX, ContactForm
from trials.models import Follow


class FollowForm(forms.Form):
    email = forms.CharField(
        label=_("Your email address"),
        max_length=EMAIL_MAX,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": _("Please write your email address.")},
    )
    language = forms.ChoiceField(
        label=_("Language of the emails"),
        # Each language in its own name, so a reader finds theirs on any page.
        choices=[(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES],
    )
    follow = forms.MultipleChoiceField(
        label=_("Tell me about"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Please tick at least one: this trial, or new trials for this illness."),
            "invalid_choice": _("Please tick at least one: this trial, or new trials for this illness."),
        },
    )
    website = ContactForm.base_fields["website"]

    clean_email = ContactForm.clean_email
    clean_website = ContactForm.clean_website

    def __init__(self, *args, trial, **kwargs):
        kwargs.setdefault("auto_id", f"follow-{trial.nct_id}-%s")
        super().__init__(*args, **kwargs)
        self.trial = trial
        self.fields["follow"].choices = [
            (Follow.Kind.TRIAL, _("Changes to this trial: its status, hospitals, dates or who can take part")),
            (
                Follow.Kind.CONDITION,
                _("New trials for %(condition)s, when we publish them") % {"condition": condition_name(trial)},
            ),
        ]
