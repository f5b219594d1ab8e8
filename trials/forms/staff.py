"""The admin's sign-in forms: the password step, and the code from an authenticator app."""

import re
import unicodedata

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

CODE_DIGITS = 6


class PasswordForm(AdminAuthenticationForm):
    """Django's admin login form, with its user-name length enforced: Django sets the length after
    the field is made, so only the browser checked it, and a longer name reached django-axes, whose
    record of the attempt cannot hold it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 10}
        ),
    )

    def clean_code(self) -> str:
        # Full-width digits from a Chinese or Korean keyboard count, as do spaces the app shows ("123 456").
        digits = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", self.cleaned_data["code"]))
        if not re.fullmatch(rf"[0-9]{{{CODE_DIGITS}}}", digits):
            raise forms.ValidationError(_("Type the six digits that your app shows now."), code="format")
        return digits
