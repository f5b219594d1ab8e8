"""The page a guardian takes to their child's doctor, on screen, printed, or as a PDF.

One page per visit: each trial's registry facts and where they came from, its
criteria (with the guardian's answers only if they choose), the questions for
the doctor, the guardian's notes, and a QR code to the trial page. It is made
from what the request carries and stores nothing.
"""

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from trials.forms.notes import DoctorForm
from trials.forms.screening import AnswersForm
from trials.models import Criterion, Trial, TrialSource, prefetch_reviews
from trials.notes import notes_dump
from trials.pdf import pdf_from_html
from trials.screening import Screening, screen, screening_bank
from trials.views.language import remember_language
from trials.views.notes import carried_answers


def screening_found(trials: list[Trial], answers: dict) -> Screening:
    """What the pre-screener makes of these (raw) answers for these trials."""
    bank = screening_bank().only(trial.nct_id for trial in trials)
    form = AnswersForm(answers, specs=bank.scope, today=timezone.localdate())
    form.is_valid()  # answers it cannot read are left out, as on the result page
    return screen(bank, form.answers, today=timezone.localdate())


def doctor_context(request, *, nct_ids, answers: dict, include_answers: bool, notes: list) -> dict:
    trials = list(
        Trial.objects.published()
        .filter(nct_id__in=nct_ids)
        .prefetch_related(
            prefetch_reviews(),
            Prefetch("sources", queryset=TrialSource.objects.prefetch_related(prefetch_reviews())),
            Prefetch("criteria", queryset=Criterion.objects.prefetch_related(prefetch_reviews())),
        )
    )
    found = screening_found(trials, answers)
    by_trial = {item.trial.nct_id: item for item in found.trials}
    sheets = []
    for trial in trials:
        criteria = trial.criteria.all()
        sheets.append(
            {
                "trial": trial,
                "url": settings.SITE_URL + trial.get_absolute_url(),
                "inclusions": [c for c in criteria if c.kind == Criterion.Kind.INCLUSION],
                "exclusions": [c for c in criteria if c.kind == Criterion.Kind.EXCLUSION],
                "result": by_trial.get(trial.nct_id) if include_answers else None,
                "notes": [note for note in notes if note.trial == trial.nct_id],
            }
        )
    return {
        "sheets": sheets,
        "trials": trials,
        "doctor_questions": found.doctor_questions,
        "summary": found.answers_text() if include_answers else "",
        "include_answers": include_answers,
        "answers": list(answers.items()),
        "notes": notes,
        "notes_json": notes_dump(notes) if notes else "",
        "made_on": timezone.localdate(),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def doctor(request):
    data = request.POST if request.method == "POST" else request.GET
    published = list(Trial.objects.published().values_list("nct_id", flat=True))
    form = DoctorForm(data, nct_ids=published)
    form.is_valid()
    notes = form.cleaned_data.get("notes", [])
    named = form.cleaned_data.get("trial") or [nct_id for nct_id in published if nct_id in {n.trial for n in notes}]
    answers = dict(carried_answers(data)) if request.method == "POST" else {}
    include_answers = bool(form.cleaned_data.get("include_answers") and answers)
    context = doctor_context(
        request, nct_ids=named or published, answers=answers, include_answers=include_answers, notes=notes
    )
    context["notes_problem"] = form.errors.get("notes", [""])[0]
    if form.cleaned_data.get("format") == "pdf":
        return pdf_response(request, context)
    response = render(request, "doctor/doctor.html", context)
    if data.get("action") == "language":
        remember_language(response, get_language())
    return response


def pdf_response(request, context) -> HttpResponse:
    html = render_to_string("doctor/doctor_pdf.html", context, request=request)
    ids = [trial.nct_id for trial in context["trials"]]
    name = f"trialfinder-{ids[0] if len(ids) == 1 else 'trials'}-{get_language()}.pdf"
    response = HttpResponse(pdf_from_html(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
