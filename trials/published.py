"""Published content as the public pages read it, loaded with a fixed number of queries.

What every view of a trial page shows, whatever the language or the visitor,
is kept in this process per content version (trials/cache.py): a trial page
then renders without a query, and any content save makes the next view load
it again.
"""

import copy
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from pypinyin import lazy_pinyin

from trials.cache import kept_per_version
from trials.geo import distance_km, nearest_sites
from trials.models import (
    FAQ,
    Criterion,
    GlossaryTerm,
    Site,
    TreatmentGroup,
    TreatmentStep,
    Trial,
    TrialSource,
    prefetch_reviews,
)

# Sites shown before the guardian gives a place: a trial page shows the first
# NEAREST_SITES, the contact page all of them.
FIRST_SITES = 20
NEAREST_SITES = 10


def card_prefetch() -> tuple:
    """What a trial card shows: its review records, and its sources (a disputed status names them)."""
    return (prefetch_reviews(), Prefetch("sources", queryset=TrialSource.objects.prefetch_related(prefetch_reviews())))


@dataclass(frozen=True)
class TrialPage:
    """What every view of a trial page shows, whatever the language or the visitor."""

    trial: Trial
    inclusions: list[Criterion]
    exclusions: list[Criterion]
    groups: list[TreatmentGroup]
    faqs: list[FAQ]
    # The first FIRST_SITES sites, the sponsor's country first, for a visitor who gave no place.
    home_sites: list[Site]
    site_count: int


@kept_per_version(size=256)
def trial_page(nct_id: str) -> TrialPage | None:
    """A published trial's page content, loaded with a fixed number of queries and kept until content changes."""
    queryset = Trial.objects.published().prefetch_related(
        *card_prefetch(),
        Prefetch("criteria", queryset=Criterion.objects.prefetch_related(prefetch_reviews())),
        Prefetch("faqs", queryset=FAQ.objects.published().prefetch_related(prefetch_reviews())),
        Prefetch(
            "treatment_groups",
            queryset=TreatmentGroup.objects.prefetch_related(
                prefetch_reviews(),
                Prefetch(
                    "steps",
                    queryset=TreatmentStep.objects.prefetch_related(prefetch_reviews()),
                    to_attr="step_list",
                ),
            ),
        ),
    )
    trial = queryset.filter(nct_id=nct_id).first()
    if trial is None:
        return None
    criteria = trial.criteria.all()
    return TrialPage(
        trial=trial,
        inclusions=[c for c in criteria if c.kind == Criterion.Kind.INCLUSION],
        exclusions=[c for c in criteria if c.kind == Criterion.Kind.EXCLUSION],
        groups=list(trial.treatment_groups.all()),
        faqs=list(trial.faqs.all()),
        home_sites=home_sites(trial),
        site_count=trial.sites.active().count(),
    )


def home_country_first(trial: Trial, sites):
    """The trial's sites with the sponsor's own country first, then by country, city and name."""
    sponsor_site = sites.filter(facility_en__iexact=trial.sponsor_en).values("country_en")[:1]
    return sites.annotate(
        abroad=Case(When(country_en__in=sponsor_site, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("abroad", "country_en", "city_en", "facility_en", "pk")


def home_sites(trial: Trial, limit: int = FIRST_SITES) -> list[Site]:
    """The sites shown to a visitor who gave no place: the sponsor's country first."""
    sites = list(home_country_first(trial, trial.sites.active().prefetch_related(prefetch_reviews()))[:limit])
    for site in sites:
        site.distance_km = None
    return sites


def nearest_of(page: TrialPage, *, latitude: float, longitude: float, limit: int) -> list[Site]:
    """The `limit` sites of the trial nearest the point, nearest first, each with distance_km.

    When the page holds every site (most trials have a few), they are measured
    here; otherwise the database is searched (trials/geo.py). Sites without
    coordinates come last, with distance_km None.
    """
    if page.site_count > len(page.home_sites):
        sites = page.trial.sites.active().prefetch_related(prefetch_reviews())
        return nearest_sites(sites, latitude=latitude, longitude=longitude, limit=limit)
    placed, unplaced = [], []
    for kept in page.home_sites:
        site = copy.copy(kept)  # the kept site is shared by every request: its distance is this visitor's
        if site.latitude is None or site.longitude is None:
            site.distance_km = None
            unplaced.append(site)
        else:
            site.distance_km = distance_km(latitude, longitude, site.latitude, site.longitude)
            placed.append(site)
    placed.sort(key=lambda site: (site.distance_km, site.pk))
    return (placed + unplaced)[:limit]


def page_number(value) -> int:
    """A page number from a link: anything that is not one means the first page."""
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 7 else 1


@kept_per_version(size=512)
def trial_cards(
    *, per_page: int, number: int, condition: str = "", months: int | None = None, recruiting=False
) -> Page:
    """One page of published trials for cards, filtered, kept until content changes.

    A number past the last page shows the last page, as Paginator.get_page does.
    """
    trials = Trial.objects.published()
    if condition:
        trials = trials.filter(condition_slug=condition)
    if months is not None:
        trials = trials.for_age_months(months)
    if recruiting:
        # A trial whose sources disagree stays in, with its note, rather than being hidden.
        trials = trials.recruiting()
    page = Paginator(trials.prefetch_related(*card_prefetch()), per_page).get_page(number)
    page.object_list = list(page.object_list)
    return page


@kept_per_version(size=8)
def condition_choices(language: str) -> list[tuple[str, str]]:
    """The conditions of the published trials, each once, in the page's language (one query)."""
    fields = [f"condition_label_{code.replace('-', '_')}" for code, _name in settings.LANGUAGES]
    rows = Trial.objects.published().exclude(condition_slug="").values("condition_slug", *fields).distinct()
    english = settings.LANGUAGE_CODE.replace("-", "_")
    labels = {
        (
            row["condition_slug"],
            row[f"condition_label_{language.replace('-', '_')}"] or row[f"condition_label_{english}"],
        )
        for row in rows
    }
    return sorted(labels, key=lambda item: item[1])


@kept_per_version(size=4096)
def site_list(trial: Trial, *, query: str, number: int, per_page: int) -> Page:
    """One page of a trial's active sites, the sponsor's country first, those matching `query` in any language."""
    sites = trial.sites.active()
    if query:
        matches = Q()
        for code, _name in settings.LANGUAGES:
            suffix = code.replace("-", "_")
            matches |= Q(**{f"city_{suffix}__icontains": query}) | Q(**{f"facility_{suffix}__icontains": query})
        sites = sites.filter(matches)
    page = Paginator(home_country_first(trial, sites).prefetch_related(prefetch_reviews()), per_page).get_page(number)
    page.object_list = list(page.object_list)
    return page


@kept_per_version(size=1)
def general_faqs() -> list[FAQ]:
    return list(FAQ.objects.published().general().prefetch_related(prefetch_reviews()))


def reading_order(text: str, language: str) -> list[str]:
    """How a reader of the language looks a word up: Chinese by pinyin, Korean by
    its syllables (their code points are in 가나다 order), English alphabetically."""
    if language.startswith("zh"):
        return [syllable.casefold() for syllable in lazy_pinyin(text)]
    return [text.casefold()]


@kept_per_version(size=8)
def glossary_terms(language: str) -> list[GlossaryTerm]:
    """Every term, in the reading order of the active language (whose name for each term is sorted)."""
    terms = GlossaryTerm.objects.prefetch_related(prefetch_reviews())
    return sorted(terms, key=lambda term: reading_order(term.term, language))


@kept_per_version(size=1)
def trials_with_sources() -> list[Trial]:
    sources = Prefetch("sources", queryset=TrialSource.objects.prefetch_related(prefetch_reviews()))
    return list(Trial.objects.published().prefetch_related(prefetch_reviews(), sources))
