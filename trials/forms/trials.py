from django import forms
from django.utils.translation import gettext_lazy as _

# The oldest age the filter takes: 25 years, in months.
MAX_MONTHS = 300


class TrialFilterForm(forms.Form):
    """The filters on /trials/. Every field is optional; a bad value is ignored with a message."""

    AGE_UNITS = [("months", _("months")), ("years", _("years"))]

    condition = forms.ChoiceField(label=_("Condition"), required=False)
    age = forms.IntegerField(
        label=_("Child's age"),
        required=False,
        min_value=0,
        max_value=MAX_MONTHS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": _("Enter the age as a whole number, for example 8."),
            "min_value": _("The age cannot be below 0."),
            "max_value": _("Enter an age of %(limit_value)s or less."),
        },
    )
    age_unit = forms.ChoiceField(label=_("Age in"), choices=AGE_UNITS, required=False, initial="months")
    recruiting = forms.BooleanField(label=_("Only trials that are recruiting now"), required=False)

    def __init__(self, *args, conditions: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["condition"].choices = [("", _("Any condition")), *conditions]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("age_unit") == "years" and (cleaned.get("age") or 0) > MAX_MONTHS // 12:
            self.add_error("age", _("Enter an age of %(limit)s years or less.") % {"limit": MAX_MONTHS // 12})
        return cleaned

    def age_in_months(self) -> int | None:
        age = self.cleaned_data.get("age")
        if age is None:
            return None
        return age * 12 if self.cleaned_data.get("age_unit") == "years" else age

    def filters(self) -> dict:
        """What to filter by: nothing for an empty or invalid form (its errors are shown instead)."""
        if not self.is_bound or not self.is_valid():
            return {"condition": "", "months": None, "recruiting": False}
        return {
            "condition": self.cleaned_data["condition"],
            "months": self.age_in_months(),
            "recruiting": bool(self.cleaned_data["recruiting"]),
        }
