"""The pages that explain the trials: home, list, trial page, FAQ, glossary."""

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import caches
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from trials import structured_data
from trials.cache import cached_page
from trials.forms.trials import TrialFilterForm
from trials.geo import resolve_place
from trials.models import (
    FAQ,
)
from trials.published import (
    NEAREST_SITES,
    condition_choices,
    general_faqs,
    glossary_terms,
    nearest_of,
    page_number,
    site_list,
    trial_cards,
    trial_page,
    trials_with_sources,
)

HOME_TRIALS = 10
LIST_TRIALS = 20
# The sites page lists every site of a trial, a page at a time.
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


@cached_page(reads=("page",))
def home(request):
    trials = trial_cards(per_page=HOME_TRIALS, number=page_number(request.GET.get("page")))
    return render(request, "trials/home.html", {"trials": trials, "count": trials.paginator.count})


@cached_page(reads=("condition", "age", "age_unit", "recruiting", "page"))
def trial_list(request):
    form = TrialFilterForm(request.GET or None, conditions=condition_choices(get_language()))
    page = trial_cards(per_page=LIST_TRIALS, number=page_number(request.GET.get("page")), **form.filters())
    # The links to other pages keep the filters.
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {"form": form, "trials": page, "filtered": bool(filters), "filters": filters.urlencode()}
    return render(request, "trials/trial_list.html", context)


@cached_page(reads=("near",))
def trial_detail(request, nct_id):
    if nct_id != nct_id.upper():
        return HttpResponsePermanentRedirect(request.path.replace(nct_id, nct_id.upper()))
    page = trial_page(nct_id)
    if page is None:
        raise Http404("No such trial")
    trial = page.trial
    resolution = resolve_place(request.GET.get("near", "")[:200])
    sites = page.home_sites[:NEAREST_SITES]
    if resolution.found:
        sites = nearest_of(page, latitude=resolution.latitude, longitude=resolution.longitude, limit=NEAREST_SITES)
    json_ld = [structured_data.medical_trial(trial, sites=sites)]
    if page.faqs:
        json_ld.append(structured_data.faq_page(page.faqs))
    context = {
        "trial": trial,
        "inclusions": page.inclusions,
        "exclusions": page.exclusions,
        "groups": page.groups,
        "sites": sites,
        "site_count": page.site_count,
        "resolution": resolution,
        "faqs": page.faqs,
        "json_ld": json_ld,
    }
    return render(request, "trials/trial_detail.html", context)


@cached_page(reads=("q", "page"))
def trial_sites(request, nct_id):
    """Every active site of a trial, a page at a time, searchable by city or hospital in any language."""
    trial_content = trial_page(nct_id.upper())
    if trial_content is None:
        raise Http404("No such trial")
    trial = trial_content.trial
    query = " ".join(request.GET.get("q", "").split())[:100]
    page = site_list(trial, query=query, number=page_number(request.GET.get("page")), per_page=SITES_PER_PAGE)
    context = {
        "trial": trial,
        "sites": page,
        "query": query,
        "filters": urlencode({"q": query}) if query else "",
        "total": trial_content.site_count,
    }
    return render(request, "trials/trial_sites.html", context)


@cached_page
def faq(request):
    faqs = general_faqs()
    topics = [(label, [f for f in faqs if f.topic == value]) for value, label in FAQ.Topic.choices]
    context = {
        "topics": [(label, items) for label, items in topics if items],
        "json_ld": [structured_data.faq_page(faqs)] if faqs else [],
    }
    return render(request, "trials/faq.html", context)


@cached_page
def glossary(request):
    return render(request, "trials/glossary.html", {"terms": glossary_terms(get_language())})


@cached_page
def privacy(request):
    return render(request, "trials/privacy.html", {"retention_days": settings.MESSAGE_RETENTION_DAYS})


@cached_page
def about(request):
    return render(request, "trials/about.html", {"trials": trials_with_sources()})
