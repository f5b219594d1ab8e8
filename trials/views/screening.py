"""The guardian pre-screener: a few short steps, then an honest answer per trial.

Nothing is stored. The answers travel in the form from step to step (hidden
fields), the engine in `trials/eligibility.py` evaluates them, and the result
is shown in reply to the last POST.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, ngettext

from trials import eligibility
from trials.eligibility import Outcome, QuestionSpec, Reason, RuleResult, Status, TrialRules
from trials.forms.screening import YES_NO_LABELS, ScreeningForm
from trials.models import Criterion, Question, Trial
from trials.views.language import remember_language


@dataclass
class Bank:
    """The question bank and the trials' rules, as model objects (to show) and plain data (to evaluate)."""

    questions: list[Question]
    specs: list[QuestionSpec]
    trials: list[Trial]
    rules: list[TrialRules]

    def question(self, key: str) -> Question:
        return self.by_key[key]

    def __post_init__(self):
        self.by_key = {q.key: q for q in self.questions}


def screening_load(*, nct_id: str | None = None, for_display: bool = True) -> Bank:
    """Loads questions and criteria with a fixed number of queries, whatever their count."""
    questions = Question.objects.prefetch_related("choices")
    trials = Trial.objects.published()
    if for_display:
        questions = questions.prefetch_related("reviews")
        criteria = Criterion.objects.prefetch_related("reviews")
        trials = trials.prefetch_related("reviews", Prefetch("criteria", queryset=criteria))
    else:
        trials = trials.prefetch_related("criteria")
    if nct_id is not None:
        trials = trials.filter(nct_id=nct_id.upper())
    questions = list(questions)
    trials = list(trials)
    key_of = {q.id: q.key for q in questions}
    specs = [
        QuestionSpec(
            key=q.key,
            kind=q.kind,
            choices=tuple(c.value for c in q.choices.all()),
            step=q.step,
            show_if=key_of.get(q.show_if_id),
            show_if_values=tuple(q.show_if_values or ()),
        )
        for q in questions
    ]
    rules = [
        TrialRules(
            nct_id=trial.nct_id,
            rules=tuple(
                eligibility.Rule(
                    key=c.key,
                    kind=c.kind,
                    question=key_of.get(c.question_id),
                    operator=c.operator,
                    values=tuple(c.values or ()),
                )
                for c in sorted(trial.criteria.all(), key=lambda c: (c.kind != Criterion.Kind.INCLUSION, c.order, c.id))
            ),
        )
        for trial in trials
    ]
    return Bank(questions, specs, trials, rules)


# ---------------------------------------------------------------------------
# Words for the result


def answer_label(question: Question, value) -> str:
    if question.kind == Question.Kind.DATE:
        # Year-month-day: the summary may go to a study team reading another
        # language, and this form cannot be misread in any of them.
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if question.kind == Question.Kind.YES_NO:
        return str(YES_NO_LABELS.get(value, value))
    for choice in question.choices.all():
        if choice.value == value:
            return choice.label
    return gettext("Not sure") if value == eligibility.UNSURE else str(value)


def reason_text(result: RuleResult, bank: Bank) -> str:
    """One plain line saying why a criterion came out as it did."""
    rule = result.rule
    if result.reason == Reason.MISSING:
        if rule.operator == eligibility.Operator.DIAGNOSED_BEFORE_AGE_MONTHS:
            return gettext("We need both the date of birth and the date of diagnosis.")
        return gettext("Not answered. It may not have been asked, because of an earlier answer.")
    if result.reason == Reason.UNSURE:
        return gettext("You answered “Not sure”.")
    if result.reason == Reason.DIAGNOSED_AT_MONTHS:
        months = result.detail
        return ngettext(
            "Your child was diagnosed at %(months)d month old.",
            "Your child was diagnosed at %(months)d months old.",
            months,
        ) % {"months": months}
    if result.reason == Reason.AGE_YEARS:
        months = result.detail
        if months < 24:
            # A baby's age is said in months: "0 years old" helps nobody.
            return ngettext("Your child is %(months)d month old.", "Your child is %(months)d months old.", months) % {
                "months": months
            }
        years = months // 12
        return ngettext("Your child is %(years)d year old.", "Your child is %(years)d years old.", years) % {
            "years": years
        }
    label = answer_label(bank.question(rule.question), result.detail)
    return gettext("You answered: %(answer)s.") % {"answer": label}


STATUS_LABELS = {
    # An exclusion that is "met" means the child is clear of it: say it that way.
    ("inclusion", Status.MET): lambda: gettext("Fits"),
    ("inclusion", Status.NOT_MET): lambda: gettext("Does not fit"),
    ("exclusion", Status.MET): lambda: gettext("Does not apply to your child"),
    ("exclusion", Status.NOT_MET): lambda: gettext("Applies to your child"),
}


def status_label(kind: str, status: Status) -> str:
    if status == Status.UNKNOWN:
        return gettext("Not known yet")
    return STATUS_LABELS[(kind, status)]()


def outcome_text(outcome: Outcome) -> str:
    return {
        Outcome.MAY_QUALIFY: gettext("Your child may qualify for this study."),
        Outcome.DOES_NOT_QUALIFY: gettext("Your child does not seem to qualify for this study."),
        Outcome.NEEDS_MORE_INFORMATION: gettext("We need more information to tell."),
    }[outcome]


def answers_summary(bank: Bank, specs: list[QuestionSpec], answers: dict) -> str:
    """A short plain-text summary the guardian may choose to send to the study team."""
    lines = []
    for spec in specs:
        if spec.key in answers:
            question = bank.question(spec.key)
            # The wording is a question ("…?", "…？"), so the answer follows it directly.
            lines.append(f"{question.wording} {answer_label(question, answers[spec.key])}")
    return "\n".join(lines)


def contact_url(nct_id: str) -> str:
    try:
        return reverse("trial_contact", args=[nct_id])
    except NoReverseMatch:
        # The contact page comes with another part of the site; its path is fixed.
        prefix = "" if get_language() == settings.LANGUAGE_CODE else f"/{get_language()}"
        return f"{prefix}/trials/{nct_id}/contact/"


def result_context(bank: Bank, specs: list[QuestionSpec], answers: dict, today) -> dict:
    results = eligibility.trials_evaluate(bank.rules, answers, today=today)
    trial_rows = []
    doctor_keys: list[str] = []
    for trial, result in zip(bank.trials, results, strict=True):
        criteria = {c.key: c for c in trial.criteria.all()}
        rows = [
            {
                "criterion": criteria[r.rule.key],
                "status": r.status.value,
                "status_label": status_label(r.rule.kind, r.status),
                "reason": reason_text(r, bank),
            }
            for r in result.results
        ]
        if result.outcome == Outcome.NEEDS_MORE_INFORMATION:
            doctor_keys.extend(k for k in result.unknown_keys() if k not in doctor_keys)
        trial_rows.append(
            {
                "trial": trial,
                "outcome": result.outcome.value,
                "outcome_text": outcome_text(result.outcome),
                "inclusions": [row for row in rows if row["criterion"].kind == Criterion.Kind.INCLUSION],
                "exclusions": [row for row in rows if row["criterion"].kind == Criterion.Kind.EXCLUSION],
                "unchecked": [criteria[rule.key] for rule in result.unchecked],
                "contact_url": contact_url(trial.nct_id),
            }
        )
    order = {spec.key: index for index, spec in enumerate(specs)}
    doctor_questions = [bank.question(key) for key in sorted(doctor_keys, key=lambda k: order.get(k, 0))]
    return {
        "results": trial_rows,
        "doctor_questions": [q for q in doctor_questions if q.doctor_question],
        "summary": answers_summary(bank, specs, answers),
    }


# ---------------------------------------------------------------------------
# The step pages


def steps_of(specs: list[QuestionSpec], answers: dict) -> list[int]:
    return sorted({spec.step for spec in eligibility.visible_questions(specs, answers)})


def question_rows(bank: Bank, form: ScreeningForm, specs: list[QuestionSpec], answers: dict) -> list[dict]:
    """What the template needs to draw each question of the step."""
    raw = form.raw_answers()
    by_key = {spec.key: spec for spec in specs}
    on_this_step = set(by_key)
    rows = []
    for spec in specs:
        question = bank.question(spec.key)
        value = raw.get(spec.key, "")
        if spec.kind == eligibility.Kind.YES_NO:
            options = [(v, str(label)) for v, label in YES_NO_LABELS.items()]
        elif spec.kind == eligibility.Kind.CHOICE:
            options = [(c.value, c.label) for c in question.choices.all()]
            if eligibility.UNSURE not in {v for v, _label in options}:
                options.append((eligibility.UNSURE, gettext("Not sure")))
        else:
            options = []
        # A condition on an answer from this same step is applied by screening.js
        # at once; the server hides it only when it already knows the answer.
        same_step_parent = spec.show_if in on_this_step
        condition = ""
        if same_step_parent:
            parent = bank.question(spec.show_if)
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
                "errors": form.errors.get(spec.key, []) if form.is_bound else [],
                "show_if": spec.show_if if same_step_parent else "",
                # Without JavaScript the question stays on the page: say when it applies.
                "condition": condition,
                "show_if_values": " ".join(spec.show_if_values),
                "hidden": same_step_parent and not eligibility.is_visible(spec, answers, by_key),
            }
        )
    return rows


def render_step(request, bank, specs, form, answers, step, *, nct_id, status=200):
    steps = steps_of(specs, answers)
    if step not in steps:
        steps = sorted({*steps, step})
    on_step = [s for s in specs if s.step == step]
    on_step_keys = {s.key for s in on_step}
    visible_keys = {s.key for s in eligibility.visible_questions(specs, answers)}
    # A question whose condition is on this same step is drawn even when hidden,
    # so that screening.js can show it at once when the answer changes.
    step_specs = [s for s in on_step if s.key in visible_keys or s.show_if in on_step_keys] or on_step
    raw = form.raw_answers()
    step_keys = {s.key for s in step_specs}
    rows = question_rows(bank, form, step_specs, answers)
    non_field_errors = form.non_field_errors() if form.is_bound else []
    context = {
        "trials": bank.trials,
        "single_trial": bank.trials[0] if nct_id else None,
        "step": step,
        "step_number": steps.index(step) + 1,
        "step_count": len(steps),
        "is_first": steps.index(step) == 0,
        "rows": rows,
        "has_errors": bool(non_field_errors) or any(row["errors"] for row in rows),
        "today": timezone.localdate(),
        "carried": [(key, value) for key, value in raw.items() if key not in step_keys],
        "all_answers": list(raw.items()),
        "non_field_errors": non_field_errors,
    }
    return render(request, "screening/step.html", context, status=status)


def screen_flow(request, *, nct_id: str | None):
    bank = screening_load(nct_id=nct_id)
    if nct_id is not None and not bank.trials:
        raise Http404("No such trial")
    specs = eligibility.questions_for(bank.specs, bank.rules)
    today = timezone.localdate()
    all_steps = sorted({s.step for s in specs})
    if not all_steps:
        # No rule reads an answer: there is nothing to ask, and the study team checks everything.
        form = ScreeningForm(specs=specs, step_keys=set(), today=today)
        return render_result(request, bank, specs, form, {}, today, nct_id=nct_id)

    if request.method != "POST":
        form = ScreeningForm(specs=specs, step_keys=set(), today=today)
        return render_step(request, bank, specs, form, {}, all_steps[0], nct_id=nct_id)

    action = request.POST.get("action", "next")
    showing_result = request.POST.get("step") == "result"
    try:
        step = int(request.POST.get("step", ""))
    except ValueError:
        step = all_steps[0]
    if showing_result:
        # After the last step: "back" from the result goes to the last step asked.
        step = all_steps[-1] + 1
    elif step not in all_steps:
        step = all_steps[0]

    # First read everything without judging the current step, to know which steps apply.
    probe = ScreeningForm(request.POST, specs=specs, step_keys=set(), today=today)
    probe.is_valid()
    steps = steps_of(specs, probe.answers)
    step_keys = {s.key for s in eligibility.visible_questions(specs, probe.answers) if s.step == step}
    form = ScreeningForm(request.POST, specs=specs, step_keys=step_keys, today=today)
    valid = form.is_valid()
    answers = form.answers

    response = None
    if action == "language":
        if showing_result and valid and not form.later_errors:
            response = render_result(request, bank, specs, form, answers, today, nct_id=nct_id)
        else:
            form = ScreeningForm(request.POST, specs=specs, step_keys=set(), today=today)
            form.is_valid()
            response = render_step(request, bank, specs, form, answers, step, nct_id=nct_id)
        return remember_language(response, get_language())

    if action == "back":
        earlier = [s for s in steps if s < step]
        target = earlier[-1] if earlier else (steps[0] if steps else step)
        # Going back never judges the answers on this step: they are kept as typed.
        form = ScreeningForm(request.POST, specs=specs, step_keys=set(), today=today)
        form.is_valid()
        return render_step(request, bank, specs, form, form.answers, target, nct_id=nct_id)

    if not valid:
        return render_step(request, bank, specs, form, answers, step, nct_id=nct_id, status=200)
    later = [s for s in steps if s > step] if not showing_result else []
    if later:
        next_form = ScreeningForm(request.POST, specs=specs, step_keys=set(), today=today)
        next_form.is_valid()
        return render_step(request, bank, specs, next_form, answers, later[0], nct_id=nct_id)
    if form.later_errors:
        # An answer on another step cannot be read (or no longer fits): show that step.
        key = next(iter(form.later_errors))
        target = next(s.step for s in specs if s.key == key)
        keys = {s.key for s in eligibility.visible_questions(specs, answers) if s.step == target}
        form = ScreeningForm(request.POST, specs=specs, step_keys=keys, today=today)
        form.is_valid()
        return render_step(request, bank, specs, form, answers, target, nct_id=nct_id)
    return render_result(request, bank, specs, form, answers, today, nct_id=nct_id)


def render_result(request, bank, specs, form, answers, today, *, nct_id):
    context = result_context(bank, specs, answers, today)
    context.update(
        {
            "single_trial": bank.trials[0] if nct_id else None,
            "all_answers": list(form.raw_answers().items()),
            "last_step": max((s.step for s in eligibility.visible_questions(specs, answers)), default=1),
        }
    )
    return render(request, "screening/result.html", context)


def screen(request):
    return screen_flow(request, nct_id=None)


def trial_screen(request, nct_id):
    return screen_flow(request, nct_id=nct_id)
