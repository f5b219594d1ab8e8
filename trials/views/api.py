"""The JSON API for partners and tests: the question bank, and the pre-screen.

The pre-screen uses the same engine as the web pages. Answers are never stored
or logged: they live only in the request and the response.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from trials import eligibility
from trials.cache import PAGE_CACHE_SECONDS, content_version
from trials.forms.screening import YES_NO_LABELS
from trials.models import Question
from trials.views.screening import screening_load

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def translated(obj, field: str) -> dict[str, str]:
    return {code: obj.field_text(field, code) for code in LANGUAGE_CODES if obj.field_text(field, code)}


def in_every_language(label) -> dict[str, str]:
    labels = {}
    for code in LANGUAGE_CODES:
        with override(code):
            labels[code] = str(label)
    return labels


def question_json(question: Question, key_of: dict[int, str]) -> dict:
    if question.kind == Question.Kind.YES_NO:
        choices = [{"value": value, "label": in_every_language(label)} for value, label in YES_NO_LABELS.items()]
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
        "show_if": key_of.get(question.show_if_id),
        "show_if_values": list(question.show_if_values or []),
    }


@require_GET
def questions(request):
    bank = screening_load(for_display=False)
    key_of = {q.id: q.key for q in bank.questions}
    items = [question_json(question, key_of) for question in bank.questions]
    return JsonResponse({"questions": items}, json_dumps_params={"ensure_ascii": False})


def bad_request(errors: dict[str, list[str]]) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=400, json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # A JSON API with no cookies or session: there is nothing to forge.
@require_POST
def prescreen(request):
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return bad_request({"__all__": [_("The body must be JSON.")]})
    if not isinstance(body, dict):
        return bad_request({"__all__": [_('The body must be a JSON object: {"answers": {...}, "trials": [...]}.')]})
    unknown_fields = sorted(set(body) - {"answers", "trials"})
    if unknown_fields:
        return bad_request({name: [_("Unknown field. Use “answers” and “trials”.")] for name in unknown_fields})
    answers_raw = body.get("answers", {})
    if not isinstance(answers_raw, dict):
        return bad_request({"answers": [_("“answers” must be an object of question keys and values.")]})
    wanted = body.get("trials")
    if wanted is not None and (not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted)):
        return bad_request({"trials": [_("“trials” must be a list of NCT numbers.")]})

    bank = prescreen_bank()
    errors: dict[str, list[str]] = {}
    known = {trial.nct_id for trial in bank.trials}
    if wanted is not None:
        wanted = [nct_id.strip().upper() for nct_id in wanted]
        missing = [nct_id for nct_id in wanted if nct_id not in known]
        if missing:
            errors["trials"] = [_("Unknown trial: %(nct_id)s.") % {"nct_id": nct_id} for nct_id in missing]

    # Values must be strings (or null for "left out"); anything else is a bad value.
    kinds = {spec.key: spec.kind for spec in bank.specs}
    for key, value in answers_raw.items():
        if key in kinds and value is not None and not isinstance(value, str):
            code = "bad_date" if kinds[key] == eligibility.Kind.DATE else "bad_value"
            errors.setdefault(key, []).append(str(eligibility.MESSAGES[code]))
    strings = {k: v for k, v in answers_raw.items() if v is None or isinstance(v, str) or k not in kinds}
    answers, answer_errors = eligibility.answers_parse(
        bank.specs, strings, today=timezone.localdate(), strict_keys=True
    )
    for key, messages in answer_errors.items():
        errors.setdefault(key, []).extend(str(m) for m in messages)
    if errors:
        return bad_request(errors)

    answers = eligibility.visible_answers(bank.specs, answers)
    today = timezone.localdate()
    results = []
    for trial in bank.trials:
        if wanted is not None and trial.nct_id not in wanted:
            continue
        result = eligibility.trial_evaluate(trial.rules, answers, today=today)
        results.append(
            {
                "nct_id": trial.nct_id,
                "title": trial.title,
                "outcome": result.outcome.value,
                "criteria": [
                    {"key": r.rule.key, "kind": r.rule.kind, "text": trial.texts[r.rule.key], "status": r.status.value}
                    for r in result.results
                ],
                # Not checked from answers: the study team checks these.
                "checked_by_study_team": [
                    {"key": rule.key, "kind": rule.kind, "text": trial.texts[rule.key]} for rule in result.unchecked
                ],
            }
        )
    return JsonResponse({"results": results}, json_dumps_params={"ensure_ascii": False})


@dataclass(frozen=True)
class ApiTrial:
    nct_id: str
    title: str
    texts: dict[str, str]
    rules: eligibility.TrialRules


@dataclass(frozen=True)
class ApiBank:
    specs: list[eligibility.QuestionSpec]
    trials: list[ApiTrial]


def prescreen_bank() -> ApiBank:
    """The questions and rules as plain data, cached until staff change content.

    Loading them from the database costs more than the whole evaluation, so the
    API keeps them in the cache under the content version that every content
    save bumps (see trials/cache.py).
    """
    key = f"prescreen-bank:{content_version()}:{get_language()}"
    bank = cache.get(key)
    if bank is None:
        loaded = screening_load(for_display=False)
        trials = [
            ApiTrial(trial.nct_id, trial.brief_title, {c.key: c.text for c in trial.criteria.all()}, rules)
            for trial, rules in zip(loaded.trials, loaded.rules, strict=True)
        ]
        bank = ApiBank(loaded.specs, trials)
        cache.set(key, bank, PAGE_CACHE_SECONDS)
    return bank
