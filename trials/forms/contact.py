"""The contact form: a guardian's message to one study site's team.

Validates and normalises only. Every text is normalised (NFC, line endings,
spaces) before its length is checked, so what passes fits its column. Line
breaks and other control characters are refused in every one-line field, so
nothing typed here can add a header to an email; the message itself keeps its
line breaks, which are safe in a body. Phone numbers come out in E.164, with
any extension apart; email domains in IDNA form.
"""

import unicodedata

import phonenumbers
from django import forms
from django.conf import settings
from django.core import validators
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from trials import localnames, submission
from trials.forms import field_helper
from trials.models.contact import ContactMessage

NAME_MAX = 100
LOCATION_MAX = 200
MESSAGE_MAX = 3000
SUMMARY_MAX = 4000
OUTCOME_MAX = 1000
EXTENSION_MAX = 10
EMAIL_MAX = 254
# Korean and Chinese write the family name first, and so do their forms.
FAMILY_NAME_FIRST = {"ko", "zh-hans"}
PHONE_PROBLEM = _("Please write the phone number with its country code, for example +82 10-1234-5678.")


def has_control_characters(text: str, *, allow_newlines: bool = False) -> bool:
    for char in text:
        if allow_newlines and char in "\n\t":
            continue
        if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"} and char != "\u200d":
            return True
    return False


def consent_sentence(site_name: str) -> str:
    return str(_("I agree that my details are sent to the study team at %(site)s.")) % {"site": site_name}


class NormalizedCharField(forms.CharField):
    """Text normalised before its length is checked: NFC, one kind of line
    ending, and (for one-line fields) single spaces."""

    def __init__(self, *, multiline=False, problem=None, **kwargs):
        self.multiline = multiline
        self.problem = problem
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
        if self.multiline:
            return text.strip()
        if self.problem and has_control_characters(text):
            raise forms.ValidationError(self.problem, code="control")
        return " ".join(text.split(" ")).strip()

    def validate(self, value):
        super().validate(value)
        if self.multiline and has_control_characters(value, allow_newlines=True):
            raise forms.ValidationError(self.problem, code="control")


NAME_PROBLEM = _("Please write the name without line breaks or special characters.")


class ContactForm(forms.Form):
    helper = field_helper()
    # Fields appear in this order; Korean and Chinese pages swap the two names.
    relationship = forms.ChoiceField(
        label=_("You are writing as"),
        choices=ContactMessage.Relationship.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please tell us who is writing.")},
    )
    first_name = NormalizedCharField(
        label=_("First name"),
        max_length=NAME_MAX,
        problem=NAME_PROBLEM,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = NormalizedCharField(
        label=_("Family name"),
        max_length=NAME_MAX,
        problem=NAME_PROBLEM,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=EMAIL_MAX,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        help_text=_("A number with its country code (+82, +86…) is always understood."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        # Each language in its own name, so a reader finds theirs on any page.
        choices=[(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES],
        help_text=_("The language you would like the study team to use."),
    )
    child_age = forms.IntegerField(
        label=_("Your child's age (optional)"),
        required=False,
        min_value=0,
        max_value=300,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": _("Please write the age as a whole number, for example 8.")},
    )
    child_age_unit = forms.ChoiceField(
        label=_("Age in"),
        required=False,
        choices=ContactMessage.AgeUnit.choices,
        initial=ContactMessage.AgeUnit.MONTHS,
    )
    location = NormalizedCharField(
        label=_("Your location"),
        max_length=LOCATION_MAX,
        required=False,
        problem=_("Please write the place without line breaks or special characters."),
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
    message = NormalizedCharField(
        label=_("Message"),
        multiline=True,
        max_length=MESSAGE_MAX,
        problem=_("Please remove special characters from the message."),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("For example, what you would like to know. At most 3000 characters."),
    )
    consent = forms.BooleanField(
        error_messages={"required": _("Please tick this box so that we may send your details to the study team.")}
    )
    include_summary = forms.BooleanField(label=_("Include my pre-screen answers and result"), required=False)
    # The site whose name the consent box showed. Consent to one team is not
    # consent to another, so a changed site asks for the box again.
    consent_site = forms.IntegerField(required=False, widget=forms.HiddenInput)
    prescreen_summary = NormalizedCharField(
        required=False, multiline=True, max_length=SUMMARY_MAX, widget=forms.HiddenInput
    )
    prescreen_outcome = NormalizedCharField(
        required=False, multiline=True, max_length=OUTCOME_MAX, widget=forms.HiddenInput
    )
    from_prescreen = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # Made by the server for this form and this visitor (trials/submission.py).
    submission_id = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
    # Honeypot: hidden from people, filled by bots.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, sites: list, consent_site=None, binding: str = "", place_region=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sites_by_id = {site.pk: site for site in sites}
        self.binding = binding
        self.place_region = place_region
        self.phone_region = None
        self.fields["site"].choices = [(site.pk, site.facility) for site in sites]
        shown = consent_site.facility if consent_site else _("the site I choose")
        self.fields["consent"].label = consent_sentence(shown)
        for name in ("prescreen_summary", "prescreen_outcome"):
            # Text from the pre-screener: control characters are dropped, not refused.
            self.fields[name].problem = None

    @property
    def name_fields(self):
        order = ["last_name", "first_name"] if get_language() in FAMILY_NAME_FIRST else ["first_name", "last_name"]
        return [self[name] for name in order]

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise forms.ValidationError(_("Please leave this field empty."), code="honeypot")
        return ""

    def clean_submission_id(self):
        key = self.cleaned_data["submission_id"]
        if not submission.is_own(key, binding=self.binding):
            # Planted in a link, or from another browser: never used.
            raise forms.ValidationError(
                _("This form had expired. Please check your details and send it again."), code="foreign"
            )
        return key

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        problem = _("Please check the email address. It looks like name@example.com.")
        local, _at, domain = email.rpartition("@")
        if has_control_characters(email) or '"' in local or "\\" in local:
            raise forms.ValidationError(problem)
        try:
            domain = unicodedata.normalize("NFC", domain).encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise forms.ValidationError(problem) from None
        email = f"{local}@{domain}"
        try:
            validators.validate_email(email)
        except forms.ValidationError:
            raise forms.ValidationError(problem) from None
        if len(email) > EMAIL_MAX:
            raise forms.ValidationError(problem)
        return email

    def clean_prescreen_summary(self):
        return strip_control(self.cleaned_data["prescreen_summary"])

    def clean_prescreen_outcome(self):
        return strip_control(self.cleaned_data["prescreen_outcome"])

    def clean(self):
        cleaned = super().clean()
        site_id = cleaned.get("site")
        site = self.sites_by_id.get(site_id)
        # Without JavaScript the box may read "the site I choose" (no
        # consent_site), which covers the site chosen beside it. A box that
        # named one site does not cover another.
        consent_site = cleaned.get("consent_site")
        if site and cleaned.get("consent") and consent_site is not None and consent_site != site_id:
            self.add_error(
                "consent",
                _(
                    "You chose a different study site. "
                    "Please tick the box again to agree to send your details to %(site)s."
                )
                % {"site": site.facility},
            )
        if site and not site.team_email:
            self.add_error("site", _("We do not have an address for this study team yet. Please choose another site."))
        if "phone" in cleaned:
            self.phone_region = self.place_region or site_region(site)
            try:
                cleaned["phone"], cleaned["phone_extension"] = parse_phone(cleaned["phone"], self.phone_region)
            except forms.ValidationError as error:
                self.add_error("phone", error)
        if cleaned.get("child_age") is not None:
            unit = cleaned.get("child_age_unit") or ContactMessage.AgeUnit.MONTHS
            cleaned["child_age_unit"] = unit
            if unit == ContactMessage.AgeUnit.YEARS and cleaned["child_age"] > 25:
                self.add_error("child_age", _("Please check the age: in years it is at most 25."))
        return cleaned

    @property
    def chosen_site(self):
        return self.sites_by_id.get(self.cleaned_data.get("site"))

    def phone_understood(self) -> str:
        """The number as we read it, and its country: "+82 10-1234-5678, South Korea"."""
        from trials.emails import phone_country, phone_display

        if self.is_bound and not self.errors.get("phone") and self.cleaned_data.get("phone"):
            phone = self.cleaned_data["phone"]
            country = phone_country(phone, get_language())
            text = phone_display(phone, self.cleaned_data.get("phone_extension", ""))
            return f"{text}, {country}" if country else text
        return ""

    def guardian_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "phone": data["phone"],
            "phone_extension": data.get("phone_extension", ""),
            "preferred_language": data["preferred_language"],
            "relationship": data["relationship"],
            "child_age": data.get("child_age"),
            "child_age_unit": data.get("child_age_unit") or "",
        }


def strip_control(text: str) -> str:
    return "".join(char for char in text if char in "\n\t" or not has_control_characters(char))


def site_region(site) -> str | None:
    if site is None:
        return None
    return localnames.country_code(getattr(site, "country_en", None) or site.country)


def parse_phone(raw: str, region: str | None) -> tuple[str, str]:
    """(E.164 number, extension). A number without "+" is read as one of `region`."""
    raw = raw.strip()
    if has_control_characters(raw):
        raise forms.ValidationError(PHONE_PROBLEM)
    try:
        number = phonenumbers.parse(raw, None if raw.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise forms.ValidationError(PHONE_PROBLEM) from None
    if not phonenumbers.is_valid_number(number):
        raise forms.ValidationError(
            _("This phone number does not look complete. Please check it, with its country code (+82, +86…).")
        )
    extension = number.extension or ""
    if len(extension) > EXTENSION_MAX or not extension.isdigit() and extension:
        raise forms.ValidationError(_("Please check the extension: at most 10 digits."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), extension
