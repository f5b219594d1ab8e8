"""The JSON API of the pre-screener: the question bank, and the pre-screen.

The pre-screen uses the same bank, forms and engine as the web pages. Answers
are never stored or logged: they live only in the request and the response.
Texts are in the request's language: `?lang=ko`, else the language cookie or
Accept-Language, else English.
"""

import json

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from trials.forms.screening import AnswersForm, PrescreenForm
from trials.models import Question
from trials.screening import TrialScreen, screen, screening_bank, yes_no_labels

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def request_language(request) -> str:
    asked = request.GET.get("lang", "").strip().lower().replace("_", "-")
    if asked in LANGUAGE_CODES:
        return asked
    return translation.get_language_from_request(request)


def json_response(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(errors) -> JsonResponse:
    return json_response({"errors": {key: [str(m) for m in messages] for key, messages in errors.items()}}, 400)


# ---------------------------------------------------------------------------
# The question bank


def translated(obj, field: str) -> dict[str, str]:
    return {code: obj.field_text(field, code) for code in LANGUAGE_CODES if obj.field_text(field, code)}


def question_json(question: Question, show_if: str | None) -> dict:
    if question.kind == Question.Kind.YES_NO:
        labels = {}
        for code in LANGUAGE_CODES:
            with translation.override(code):
                labels[code] = yes_no_labels()
        choices = [{"value": v, "label": {code: labels[code][v] for code in LANGUAGE_CODES}} for v in labels["en"]]
    else:
        choices = [{"value": c.value, "label": translated(c, "label")} for c in question.choices.all()]
    return {
        "key": question.key,
        "type": question.kind,
        "step": question.step,
        "wording": translated(question, "wording"),
        "help_text": translated(question, "help_text"),
        "doctor_question": translated(question, "doctor_question"),
        "choices": choices,
        "show_if": show_if,
        "show_if_values": list(question.show_if_values or []),
    }


@require_GET
def questions(request):
    bank = screening_bank()
    items = [question_json(bank.questions[spec.key], spec.show_if) for spec in bank.specs]
    return json_response({"questions": items})


# ---------------------------------------------------------------------------
# The pre-screen


def result_json(screen_: TrialScreen) -> dict:
    return {
        "nct_id": screen_.trial.nct_id,
        "title": screen_.trial.brief_title,
        "outcome": screen_.outcome.value,
        "criteria_complete": screen_.result.complete,
        "criteria": [
            {
                "key": line.rule.key,
                "kind": line.rule.kind,
                "source": line.rule.source,
                "text": str(line.text),
                "status": line.status.value,
                "reason": line.reason,
            }
            for line in screen_.lines
        ],
        # Not checked from answers: the study team checks these.
        "checked_by_study_team": [
            {"key": said.obj.key, "kind": said.obj.kind, "text": str(said)} for said in screen_.unchecked
        ],
        "questions_for_doctor": [str(said) for said in screen_.doctor_questions],
    }


def left_out_json(trial) -> dict:
    return {"nct_id": trial.nct_id, "title": trial.brief_title, "status": trial.overall_status}


@csrf_exempt  # A JSON API with no cookies or session: there is nothing to forge.
@require_POST
def prescreen(request):
    with translation.override(request_language(request)):
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: JSON nested too deep
            return bad_request({"__all__": [_("The body must be JSON.")]})
        bank = screening_bank()
        today = timezone.localdate()
        form = PrescreenForm(body, nct_ids=bank.nct_ids)
        answers = AnswersForm(form.raw_answers, specs=bank.specs, today=today, strict=True)
        if not (form.is_valid() & answers.is_valid()):  # both, so every problem is reported at once
            return bad_request({**form.errors, **answers.errors})
        if form.cleaned_data["trials"] is not None:
            bank = bank.only(form.cleaned_data["trials"])
        found = screen(bank, answers.answers, today=today)
        return json_response(
            {
                "language": translation.get_language(),
                "checked_on": today.isoformat(),
                "results": [result_json(screen_) for screen_ in found.trials],
                "left_out": [left_out_json(trial) for trial in found.closed],
                "left_out_reason": found.left_out_text,
            }
        )
