"""The pages that explain the trials: home, list, trial page, FAQ, glossary."""

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import caches
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.http import require_GET
from pypinyin import lazy_pinyin

from trials import structured_data
from trials.cache import cached_page
from trials.forms.trials import TrialFilterForm
from trials.geo import nearest_sites, resolve_place
from trials.models import FAQ, Criterion, GlossaryTerm, Site, TreatmentGroup, TreatmentStep, Trial, TrialSource

# What a trial card shows: its review records, and its sources (a disputed status names them).
CARD_PREFETCH = ("reviews", "sources")
HOME_TRIALS = 10
LIST_TRIALS = 20
# A trial page shows this many sites; the sites page lists them all, a page at a time.
NEAREST_SITES = 10
SITES_PER_PAGE = 50


def csrf_failure(request, reason=""):
    """A plain, translated page when the security cookie is missing, instead of Django's English one."""
    return render(request, "403_csrf.html", status=403)


def healthz(request):
    """200 once the database and the caches answer. Also the baseline that `make bench` compares against."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    for cache in caches.all():
        cache.get("healthz")
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def robots_txt(request):
    sitemap_url = settings.SITE_URL + reverse("django.contrib.sitemaps.views.sitemap")
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /api/", "", f"Sitemap: {sitemap_url}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def favicon(request):
    return HttpResponsePermanentRedirect(staticfiles_storage.url("img/favicon.svg"))


def page_of(request, queryset, per_page: int):
    """One page of a list; a page number out of range shows the nearest page that exists."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


@cached_page(reads=("page",))
def home(request):
    trials = page_of(request, Trial.objects.published().prefetch_related(*CARD_PREFETCH), HOME_TRIALS)
    return render(request, "trials/home.html", {"trials": trials, "count": trials.paginator.count})


def condition_choices() -> list[tuple[str, str]]:
    """The conditions of the published trials, each once, in the page's language (one query)."""
    codes = [code.replace("-", "_") for code, _name in settings.LANGUAGES]
    fields = [f"condition_label_{code}" for code in codes]
    rows = Trial.objects.published().exclude(condition_slug="").values("condition_slug", *fields).distinct()
    language = (get_language() or settings.LANGUAGE_CODE).replace("-", "_")
    english = settings.LANGUAGE_CODE.replace("-", "_")
    labels = {
        (row["condition_slug"], row[f"condition_label_{language}"] or row[f"condition_label_{english}"]) for row in rows
    }
    return sorted(labels, key=lambda item: item[1])


@cached_page(reads=("condition", "age", "age_unit", "recruiting", "page"))
def trial_list(request):
    published = Trial.objects.published()
    form = TrialFilterForm(request.GET or None, conditions=condition_choices())
    trials = (form.filter(published) if form.is_bound else published).prefetch_related(*CARD_PREFETCH)
    page = page_of(request, trials, LIST_TRIALS)
    # The links to other pages keep the filters.
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {"form": form, "trials": page, "filtered": bool(filters), "filters": filters.urlencode()}
    return render(request, "trials/trial_list.html", context)


@cached_page(reads=("near",))
def trial_detail(request, nct_id):
    reviewed = Prefetch("reviews")
    queryset = Trial.objects.published().prefetch_related(
        *CARD_PREFETCH,
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
    near = request.GET.get("near", "")[:200]
    resolution = resolve_place(near)
    sites = nearest_or_home_country(trial, resolution)
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
        "site_count": trial.sites.active().count(),
        "resolution": resolution,
        "faqs": faqs,
        "json_ld": json_ld,
    }
    return render(request, "trials/trial_detail.html", context)


def home_country_first(trial: Trial, sites):
    """The trial's sites with the sponsor's own country first, then by country, city and name."""
    sponsor_site = sites.filter(facility_en__iexact=trial.sponsor_en).values("country_en")[:1]
    return sites.annotate(
        abroad=Case(When(country_en__in=sponsor_site, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("abroad", "country_en", "city_en", "facility_en", "pk")


def nearest_or_home_country(trial: Trial, resolution, limit: int = NEAREST_SITES) -> list[Site]:
    """The sites a trial page shows: nearest to the guardian's place if they gave one, else the sponsor's
    country first. Each has distance_km (None without a place)."""
    active = trial.sites.active().prefetch_related("reviews")
    if resolution.found:
        return nearest_sites(active, latitude=resolution.latitude, longitude=resolution.longitude, limit=limit)
    sites = list(home_country_first(trial, active)[:limit])
    for site in sites:
        site.distance_km = None
    return sites


@cached_page(reads=("q", "page"))
def trial_sites(request, nct_id):
    """Every active site of a trial, a page at a time, searchable by city or hospital in any language."""
    trial = Trial.objects.published().filter(nct_id=nct_id.upper()).first()
    if trial is None:
        raise Http404("No such trial")
    query = " ".join(request.GET.get("q", "").split())[:100]
    sites = trial.sites.active()
    if query:
        matches = Q()
        for code, _name in settings.LANGUAGES:
            suffix = code.replace("-", "_")
            matches |= Q(**{f"city_{suffix}__icontains": query}) | Q(**{f"facility_{suffix}__icontains": query})
        sites = sites.filter(matches)
    page = page_of(request, home_country_first(trial, sites).prefetch_related("reviews"), SITES_PER_PAGE)
    context = {
        "trial": trial,
        "sites": page,
        "query": query,
        "filters": urlencode({"q": query}) if query else "",
        "total": trial.sites.active().count(),
    }
    return render(request, "trials/trial_sites.html", context)


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
