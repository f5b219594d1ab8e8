"""The pre-screener's step form: every answer travels in the form itself.

The fields of the current step are shown; the answers from other steps ride
along as hidden fields, so nothing is kept in a session, the database or logs.
Checking and normalising answers is the engine's job (`answers_parse`), so the
pages and the API give the same messages.
"""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from trials import eligibility
from trials.eligibility import BIRTH_DATE, QuestionSpec

YES_NO_LABELS = {"yes": _("Yes"), "no": _("No"), eligibility.UNSURE: _("Not sure")}


class ScreeningForm(forms.Form):
    """All questions in scope; `step_keys` are the ones on the page now."""

    def __init__(self, data=None, *, specs: list[QuestionSpec], step_keys: set[str], today: datetime.date):
        super().__init__(data)
        self.specs = specs
        self.step_keys = step_keys
        self.today = today
        for spec in specs:
            self.fields[spec.key] = forms.CharField(required=False, strip=True)

    def raw_answers(self) -> dict[str, str]:
        """Answers as typed, for hidden fields and for showing them again."""
        if not self.is_bound:
            return {}
        return {spec.key: self.data.get(spec.key, "").strip() for spec in self.specs if self.data.get(spec.key)}

    def clean(self):
        raw = {key: self.cleaned_data.get(key, "") for key in self.fields}
        answers, errors = eligibility.answers_parse(self.specs, raw, today=self.today)
        answers = eligibility.visible_answers(self.specs, answers)
        visible = {spec.key for spec in eligibility.visible_questions(self.specs, answers)}
        self.answers = answers
        self.later_errors = {}
        for key, messages in errors.items():
            if key not in visible:
                continue
            if key in self.step_keys:
                for message in messages:
                    self.add_error(key, message)
            elif BIRTH_DATE in self.step_keys and messages == [eligibility.MESSAGES["before_birth"]]:
                # The guardian came back and changed the birth date: say so beside it.
                self.add_error(BIRTH_DATE, eligibility.MESSAGES["birth_after"])
            else:
                # An answer on another step: that step shows the message.
                self.later_errors[key] = messages
        return self.cleaned_data
