"""The contact form: a guardian's message to one study site's team.

Validates and normalises only. Line breaks and other control characters are
refused in every one-line field, so nothing typed here can add a header to an
email; the message itself keeps its line breaks, which are safe in a body.
"""

import unicodedata

import phonenumbers
from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

NAME_MAX = 100
LOCATION_MAX = 200
MESSAGE_MAX = 3000
SUMMARY_MAX = 4000
# Where a number is written without "+", guess its country from the language.
LANGUAGE_REGIONS = {"ko": "KR", "zh-hans": "CN"}


def has_control_characters(text: str, *, allow_newlines: bool = False) -> bool:
    for char in text:
        if allow_newlines and char in "\n\t":
            continue
        if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} and char != "\u200d":
            return True
    return False


def consent_sentence(site_name: str) -> str:
    return str(_("I agree that my details are sent to the study team at %(site)s.")) % {"site": site_name}


class ContactForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"), max_length=NAME_MAX, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=NAME_MAX, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": _("Please check the email address. It looks like name@example.com.")},
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=30,
        help_text=_("With the country code, for example +82 10-1234-5678."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        # Each language in its own name, so a reader finds theirs on any page.
        choices=[(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES],
        help_text=_("The language you would like the study team to use."),
    )
    location = forms.CharField(
        label=_("Your location"),
        max_length=LOCATION_MAX,
        required=False,
        help_text=_("Your city or county, for example Busan, 부산, Guangzhou or 广州."),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    site = forms.TypedChoiceField(
        label=_("Study site"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose the study site you want to write to."),
            "invalid_choice": _("Please choose one of the study sites in the list."),
        },
    )
    message = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("For example, your child's age and what you would like to know. At most 3000 characters."),
    )
    consent = forms.BooleanField(
        error_messages={"required": _("Please tick this box so that we may send your details to the study team.")}
    )
    include_summary = forms.BooleanField(label=_("Include the summary of my answers"), required=False)
    # The site whose name the consent box showed. Consent to one team is not
    # consent to another, so a changed site asks for the box again.
    consent_site = forms.IntegerField(required=False, widget=forms.HiddenInput)
    prescreen_summary = forms.CharField(required=False, max_length=SUMMARY_MAX, widget=forms.HiddenInput)
    from_prescreen = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # One id per filled-in form, so a double tap or a resent page sends one message.
    submission_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # Honeypot: hidden from people, filled by bots. The view blocks any value.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, sites: list, consent_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sites_by_id = {site.pk: site for site in sites}
        self.fields["site"].choices = [(site.pk, site.facility) for site in sites]
        shown = consent_site.facility if consent_site else _("the site I choose")
        self.fields["consent"].label = consent_sentence(shown)

    def clean_first_name(self):
        return self._one_line("first_name", _("Please write the name without line breaks or special characters."))

    def clean_last_name(self):
        return self._one_line("last_name", _("Please write the name without line breaks or special characters."))

    def clean_location(self):
        return self._one_line("location", _("Please write the place without line breaks or special characters."))

    def _one_line(self, name: str, problem) -> str:
        value = " ".join(self.cleaned_data[name].split(" "))
        if has_control_characters(value):
            raise forms.ValidationError(problem)
        return unicodedata.normalize("NFC", value.strip())

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if has_control_characters(email):
            raise forms.ValidationError(_("Please check the email address. It looks like name@example.com."))
        local, _at, domain = email.rpartition("@")
        return f"{local}@{domain.lower()}"

    def clean_phone(self):
        raw = self.cleaned_data["phone"].strip()
        language = self.data.get(self.add_prefix("preferred_language")) or ""
        region = None if raw.startswith("+") else LANGUAGE_REGIONS.get(language)
        problem = _("Please write the phone number with its country code, for example +82 10-1234-5678.")
        if has_control_characters(raw):
            raise forms.ValidationError(problem)
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            raise forms.ValidationError(problem) from None
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(
                _(
                    "This phone number does not look complete. "
                    "Please check it, with its country code, for example +82 10-1234-5678."
                )
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def clean_message(self):
        text = self.cleaned_data["message"].replace("\r\n", "\n").replace("\r", "\n").strip()
        if has_control_characters(text, allow_newlines=True):
            raise forms.ValidationError(_("Please remove special characters from the message."))
        return unicodedata.normalize("NFC", text)

    def clean_prescreen_summary(self):
        text = self.cleaned_data["prescreen_summary"].replace("\r\n", "\n").replace("\r", "\n").strip()
        return "".join(char for char in text if char in "\n\t" or not has_control_characters(char))

    def clean(self):
        cleaned = super().clean()
        site_id = cleaned.get("site")
        # Without JavaScript the box may read "the site I choose" (no
        # consent_site), which covers the site chosen beside it. A box that
        # named one site does not cover another.
        consent_site = cleaned.get("consent_site")
        if site_id is not None and cleaned.get("consent") and consent_site is not None and consent_site != site_id:
            site = self.sites_by_id[site_id]
            # Shown again unticked, now naming the site they chose.
            self.data = self.data.copy()
            self.data.pop(self.add_prefix("consent"), None)
            self.data[self.add_prefix("consent_site")] = str(site_id)
            self.add_error(
                "consent",
                _(
                    "You chose a different study site. "
                    "Please tick the box again to agree to send your details to %(site)s."
                )
                % {"site": site.facility},
            )
        if site_id is not None and not self.sites_by_id[site_id].team_email:
            self.add_error("site", _("We do not have an address for this study team yet. Please choose another site."))
        return cleaned

    @property
    def chosen_site(self):
        return self.sites_by_id.get(self.cleaned_data.get("site"))
