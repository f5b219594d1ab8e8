"""The pages that explain the trials: home, list, trial page, FAQ, glossary."""

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET
from pypinyin import lazy_pinyin

from trials import structured_data
from trials.cache import cached_page
from trials.forms.trials import TrialFilterForm
from trials.models import FAQ, Criterion, GlossaryTerm, Site, TreatmentGroup, TreatmentStep, Trial, TrialSource

# What a trial card shows: its review records, and its sources (a disputed status names them).
CARD_PREFETCH = ("reviews", "sources")


def csrf_failure(request, reason=""):
    """A plain, translated page when the security cookie is missing, instead of Django's English one."""
    return render(request, "403_csrf.html", status=403)


def healthz(request):
    """200 once the database answers. Also the baseline that `make bench` compares against."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def robots_txt(request):
    sitemap_url = settings.SITE_URL + reverse("django.contrib.sitemaps.views.sitemap")
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /api/", "", f"Sitemap: {sitemap_url}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def favicon(request):
    return HttpResponsePermanentRedirect(staticfiles_storage.url("img/favicon.svg"))


@cached_page
def home(request):
    trials = Trial.objects.published().prefetch_related(*CARD_PREFETCH)
    return render(request, "trials/home.html", {"trials": trials})


@cached_page
def trial_list(request):
    published = Trial.objects.published()
    conditions = sorted(
        {
            (t.condition_slug, t.condition_label)
            for t in published.only("condition_slug", "condition_label")
            if t.condition_slug
        },
        key=lambda item: item[1],
    )
    form = TrialFilterForm(request.GET or None, conditions=conditions)
    trials = (form.filter(published) if request.GET else published).prefetch_related(*CARD_PREFETCH)
    return render(request, "trials/trial_list.html", {"form": form, "trials": trials, "filtered": bool(request.GET)})


@cached_page
def trial_detail(request, nct_id):
    reviewed = Prefetch("reviews")
    queryset = Trial.objects.published().prefetch_related(
        *CARD_PREFETCH,
        Prefetch("sites", queryset=Site.objects.active().prefetch_related(reviewed)),
        Prefetch("criteria", queryset=Criterion.objects.prefetch_related(reviewed)),
        Prefetch("faqs", queryset=FAQ.objects.published().prefetch_related(reviewed)),
        Prefetch(
            "treatment_groups",
            queryset=TreatmentGroup.objects.prefetch_related(
                reviewed, Prefetch("steps", queryset=TreatmentStep.objects.prefetch_related(reviewed))
            ),
        ),
    )
    if nct_id != nct_id.upper():
        return HttpResponsePermanentRedirect(request.path.replace(nct_id, nct_id.upper()))
    trial = queryset.filter(nct_id=nct_id).first()
    if trial is None:
        raise Http404("No such trial")
    criteria = trial.criteria.all()
    sites = trial.sites.all()
    faqs = trial.faqs.all()
    json_ld = [structured_data.medical_trial(trial, sites=sites)]
    if faqs:
        json_ld.append(structured_data.faq_page(faqs))
    context = {
        "trial": trial,
        "inclusions": [c for c in criteria if c.kind == Criterion.Kind.INCLUSION],
        "exclusions": [c for c in criteria if c.kind == Criterion.Kind.EXCLUSION],
        "groups": trial.treatment_groups.all(),
        "sites": sites,
        "faqs": faqs,
        "json_ld": json_ld,
    }
    return render(request, "trials/trial_detail.html", context)


@cached_page
def faq(request):
    faqs = FAQ.objects.published().general().prefetch_related("reviews")
    topics = [(label, [f for f in faqs if f.topic == value]) for value, label in FAQ.Topic.choices]
    context = {
        "topics": [(label, items) for label, items in topics if items],
        "json_ld": [structured_data.faq_page(faqs)] if faqs else [],
    }
    return render(request, "trials/faq.html", context)


def reading_order(text: str) -> list[str]:
    """How a reader of the page's language looks a word up: Chinese by pinyin, Korean by
    its syllables (their code points are in 가나다 order), English alphabetically."""
    if (get_language() or "").startswith("zh"):
        return [syllable.casefold() for syllable in lazy_pinyin(text)]
    return [text.casefold()]


@cached_page
def glossary(request):
    terms = sorted(GlossaryTerm.objects.prefetch_related("reviews"), key=lambda term: reading_order(term.term))
    return render(request, "trials/glossary.html", {"terms": terms})


@cached_page
def privacy(request):
    return render(request, "trials/privacy.html", {"retention_days": settings.MESSAGE_RETENTION_DAYS})


@cached_page
def about(request):
    sources = Prefetch("sources", queryset=TrialSource.objects.prefetch_related("reviews"))
    trials = Trial.objects.published().prefetch_related("reviews", sources)
    return render(request, "trials/about.html", {"trials": trials})
