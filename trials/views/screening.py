"""The guardian pre-screener: a few short steps, then an honest answer per trial.

Nothing is stored. The answers travel in the form from step to step (hidden
fields); `ScreeningForm` works out which page comes next, and
`trials/screening/` says what the answers mean for each trial.
"""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, gettext

from trials import eligibility, screening
from trials.forms.screening import RESULT, ScreeningForm
from trials.screening import Bank, answer_label, long_date, screening_bank, yes_no_labels
from trials.views.language import remember_language


def screen_flow(request, *, nct_id: str | None):
    bank = screening_bank()
    if nct_id is not None:
        if nct_id.upper() not in bank.nct_ids:
            raise Http404("No such trial")
        bank = bank.only([nct_id])
    today = timezone.localdate()
    form = ScreeningForm(request.POST if request.method == "POST" else None, specs=bank.scope, today=today)
    form.is_valid()
    context = {"form": form, "single_trial": None}
    if nct_id is not None:
        context["single_trial"] = bank.trials[0].trial if bank.trials else bank.closed[0]
    if form.page == RESULT:
        response = render_result(request, bank, form, context)
    else:
        response = render_step(request, bank, form, context)
    if form.action == "language":
        remember_language(response, get_language())
    return response


def screen(request):
    return screen_flow(request, nct_id=None)


def trial_screen(request, nct_id):
    return screen_flow(request, nct_id=nct_id)


def render_step(request, bank: Bank, form: ScreeningForm, context: dict):
    on_step = [spec for spec in form.specs if spec.step == form.step]
    on_step_keys = {spec.key for spec in on_step}
    visible = {spec.key for spec in eligibility.visible_questions(form.specs, form.answers)}
    # A question whose condition is on this same step is drawn even when hidden,
    # so that screening.js can show it at once when the answer changes.
    specs = [s for s in on_step if s.key in visible or s.show_if in on_step_keys] or on_step
    keys = {spec.key for spec in specs}
    raw = form.raw_answers()
    rows = question_rows(bank, form, specs, raw)
    context.update(
        {
            "step": form.step,
            "step_number": form.step_number,
            "step_count": len(form.steps),
            "is_first": form.step_number == 1,
            "rows": rows,
            "has_errors": any(row["errors"] for row in rows),
            "today": timezone.localdate(),
            "carried": [(key, value) for key, value in raw.items() if key not in keys],
        }
    )
    return render(request, "screening/step.html", context)


def render_result(request, bank: Bank, form: ScreeningForm, context: dict):
    found = screening.screen(bank, form.answers, today=timezone.localdate())
    step_of = {spec.key: spec.step for spec in form.specs}
    context.update(
        {
            "found": found,
            "checked_on": long_date(found.checked_on),
            # Each answer, with the step to go back to for changing it.
            "answer_rows": [(question, label, step_of[question.key]) for question, label in found.answers],
            "all_answers": list(form.raw_answers().items()),
        }
    )
    return render(request, "screening/result.html", context)


def question_rows(bank: Bank, form: ScreeningForm, specs, raw: dict) -> list[dict]:
    """What the template needs to draw each question of the step."""
    on_this_step = {spec.key for spec in specs}
    by_key = {spec.key: spec for spec in form.specs}
    rows = []
    for spec in specs:
        question = bank.questions[spec.key]
        value = raw.get(spec.key, "")
        if spec.kind == eligibility.Kind.YES_NO:
            options = list(yes_no_labels().items())
        elif spec.kind == eligibility.Kind.CHOICE:
            options = [(c.value, c.label) for c in question.choices.all()]
            if eligibility.UNSURE not in {v for v, _label in options}:
                options.append((eligibility.UNSURE, gettext("Not sure")))
        else:
            options = []
        # A condition on an answer from this same step is applied by screening.js
        # at once; without JavaScript the question stays, and says when it applies.
        same_step_parent = spec.show_if in on_this_step
        condition = ""
        if same_step_parent:
            parent = bank.questions[spec.show_if]
            labels = [answer_label(parent, value) for value in spec.show_if_values]
            condition = gettext("Answer this only if your answer to “%(question)s” is: %(answers)s.") % {
                "question": parent.wording,
                "answers": gettext(" or ").join(labels),
            }
        rows.append(
            {
                "question": question,
                "spec": spec,
                "value": value,
                "options": [{"value": v, "label": label, "checked": v == value} for v, label in options],
                "errors": form.errors.get(spec.key, []),
                "show_if": spec.show_if if same_step_parent else "",
                "condition": condition,
                "show_if_values": " ".join(spec.show_if_values),
                "hidden": same_step_parent and not eligibility.is_visible(spec, form.answers, by_key),
            }
        )
    return rows
