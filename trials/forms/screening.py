"""The pre-screener's forms: the step form of the pages, and the JSON API's body.

Every answer travels in the step form itself: the fields of the current step
are shown, the other answers ride along as hidden fields, so nothing is kept in
a session, the database or logs. Checking and normalising answers is the
engine's job (`eligibility.answers_parse`), so the pages and the API give the
same messages.
"""

import datetime
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from trials import eligibility
from trials.eligibility import BIRTH_DATE, QuestionSpec
from trials.screening import long_date

RESULT = "result"
NCT_ID = re.compile(r"^NCT\d{8}$")


class RefusedField(forms.Field):
    """A key the form does not know: always an error, with this message."""

    def __init__(self, message, **kwargs):
        self.message = message
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        raise forms.ValidationError(self.message, code="unknown")


class AnswersForm(forms.Form):
    """One text field per question in scope; `answers` holds them parsed (dates as dates),
    without the answers to questions that no longer apply."""

    def __init__(self, data=None, *, specs: list[QuestionSpec], today: datetime.date, strict: bool = False):
        super().__init__(data)
        self.specs = list(specs)
        self.today = today
        self.answers: dict[str, object] = {}
        for spec in self.specs:
            self.fields[spec.key] = forms.CharField(required=False, strip=True)
        if strict and data:
            for key in data:
                if key not in self.fields:
                    self.fields[key] = RefusedField(eligibility.MESSAGES["unknown_key"])

    def parse(self) -> dict[str, list[str]]:
        """Reads every answer; returns the problems by key, for the questions still asked."""
        raw = {spec.key: self.cleaned_data.get(spec.key, "") for spec in self.specs}
        answers, errors = eligibility.answers_parse(self.specs, raw, today=self.today)
        self.answers = eligibility.visible_answers(self.specs, answers)
        asked = {spec.key for spec in eligibility.visible_questions(self.specs, self.answers)}
        return {key: messages for key, messages in errors.items() if key in asked}

    def clean(self):
        for key, messages in self.parse().items():
            for message in messages:
                self.add_error(key, message)
        return self.cleaned_data


class ScreeningForm(AnswersForm):
    """A step of the pre-screener. From the button pressed (`action`) and the
    step it was pressed on, the form works out the page to show next: `page`
    is "step" (then `step` says which) or "result"."""

    ACTIONS = ("next", "back", "language", "change")

    def __init__(self, data=None, *, specs: list[QuestionSpec], today: datetime.date):
        super().__init__(data, specs=specs, today=today)
        self.all_steps = sorted({spec.step for spec in self.specs})
        self.steps = self.all_steps
        self.page = "step" if self.all_steps else RESULT
        self.step = self.all_steps[0] if self.all_steps else None
        self.action = ""

    def raw_answers(self) -> dict[str, str]:
        """Answers as typed, for hidden fields and for showing them again."""
        if not self.is_bound:
            return {}
        values = {spec.key: str(self.data.get(spec.key, "")).strip() for spec in self.specs}
        return {key: value for key, value in values.items() if value}

    def posted(self) -> tuple[str, int | str]:
        action = self.data.get("action", "next")
        if action not in self.ACTIONS and not action.startswith("change:"):
            action = "next"
        step = self.data.get("step", "")
        if step == RESULT:
            return action, RESULT
        try:
            step = int(step)
        except ValueError:
            step = self.all_steps[0]
        return action, step if step in self.all_steps else self.all_steps[0]

    def clean(self):
        if not self.all_steps:
            return self.cleaned_data  # nothing to ask: the result at once
        errors = self.parse()
        visible = eligibility.visible_questions(self.specs, self.answers)
        self.steps = sorted({spec.step for spec in visible}) or self.all_steps[:1]
        self.action, posted = self.posted()
        if self.action == "language":
            # Another language, same page: nothing is judged yet.
            self.show(RESULT if posted == RESULT and not errors else self.nearest(posted))
        elif self.action == "back":
            earlier = [s for s in self.steps if posted == RESULT or s < posted]
            self.show(earlier[-1] if earlier else self.steps[0])
        elif self.action.startswith("change"):
            # "Change my answers": the first step, or the step of the answer to change.
            wanted = self.action.partition(":")[2]
            self.show(int(wanted) if wanted.isdigit() and int(wanted) in self.steps else self.steps[0])
        else:
            self.next_page(posted, visible, errors)
        return self.cleaned_data

    def next_page(self, posted, visible, errors) -> None:
        on_step = {spec.key for spec in visible if spec.step == posted}
        here = {key: messages for key, messages in errors.items() if key in on_step}
        if BIRTH_DATE in on_step:
            for key in list(errors):
                if key not in on_step and errors[key] == [eligibility.MESSAGES["before_birth"]]:
                    # The guardian came back and changed the birth date: say so beside it.
                    here.setdefault(BIRTH_DATE, []).append(eligibility.MESSAGES["birth_after"])
        if here:
            return self.show(posted, here)
        later = [s for s in self.steps if posted != RESULT and s > posted]
        if later:
            return self.show(later[0])
        if errors:
            # An answer on another step cannot be read (or no longer fits): show that step.
            step = next(spec.step for spec in visible if spec.key in errors)
            keys = {spec.key for spec in visible if spec.step == step}
            return self.show(step, {key: messages for key, messages in errors.items() if key in keys})
        self.show(RESULT)

    def nearest(self, step) -> int:
        if step == RESULT:
            return self.steps[-1]
        return step if step in self.steps else next((s for s in self.steps if s > step), self.steps[-1])

    def show(self, page, errors=None) -> None:
        if page == RESULT:
            self.page, self.step = RESULT, None
            return
        self.page, self.step = "step", page
        for key, messages in (errors or {}).items():
            for message in messages:
                self.add_error(key, message)
            if key != BIRTH_DATE and eligibility.MESSAGES["before_birth"] in messages:
                # The date of birth is on another step: say what it was.
                birth = self.answers.get(BIRTH_DATE)
                if isinstance(birth, datetime.date):
                    self.add_error(key, _("You gave %(date)s as the date of birth.") % {"date": long_date(birth)})

    @property
    def step_number(self) -> int:
        return self.steps.index(self.step) + 1 if self.step in self.steps else 1


class NctListField(forms.Field):
    """A JSON list of NCT numbers, in any case."""

    default_error_messages = {"invalid": _("“trials” must be a list of NCT numbers.")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return [item.strip().upper() for item in value]


class ObjectField(forms.Field):
    default_error_messages = {"invalid": _("“answers” must be an object of question keys and values.")}

    def to_python(self, value):
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return value


class PrescreenForm(forms.Form):
    """The body of POST /api/v1/prescreen: {"answers": {key: value}, "trials": [NCT numbers]}.

    The answers themselves are read by an AnswersForm, with the same messages as the pages.
    """

    answers = ObjectField(required=False)
    trials = NctListField(required=False)

    def __init__(self, body, *, nct_ids: set[str]):
        self.body = body
        self.nct_ids = nct_ids
        super().__init__(body if isinstance(body, dict) else {})
        for name in self.data:
            if name not in self.fields:
                self.fields[name] = RefusedField(_("Unknown field. Use “answers” and “trials”."))

    @property
    def raw_answers(self) -> dict:
        answers = self.data.get("answers")
        return answers if isinstance(answers, dict) else {}

    def clean_trials(self):
        wanted = self.cleaned_data["trials"]
        missing = [nct_id for nct_id in wanted or [] if nct_id not in self.nct_ids]
        if missing:
            raise forms.ValidationError(
                [_("Unknown trial: %(nct_id)s.") % {"nct_id": nct_id} for nct_id in missing], code="unknown"
            )
        return wanted

    def clean(self):
        if not isinstance(self.body, dict):
            raise forms.ValidationError(
                _('The body must be a JSON object: {"answers": {...}, "trials": [...]}.'), code="shape"
            )
        return self.cleaned_data
