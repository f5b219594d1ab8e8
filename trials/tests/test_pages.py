"""The public pages of the foundation: content, filters, structured data, query counts."""

import datetime
import json
import re
from html import unescape

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from trials.models import FAQ, Criterion, GlossaryTerm, Site, TreatmentGroup, TreatmentStep, Trial
from trials.tests.conftest import clear_caches

PAGES = ["/", "/trials/", "/trials/NCT06516679/", "/trials/NCT05303727/", "/faq/", "/glossary/", "/privacy/", "/about/"]

pytestmark = pytest.mark.usefixtures("trials_data")


def get(client, url, **headers):
    clear_caches()
    return client.get(url, **headers)


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_a_title_description_language_and_alternates(client, url):
    response = get(client, url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert re.search(r'<meta name="description" content="[^"]{40,}">', html)
    assert re.search(r"<title>[^<]+</title>", html)
    for code in ("en", "ko", "zh-hans", "x-default"):
        assert f'hreflang="{code}"' in html
    assert "<h1" in html
    # Nothing from another host: no third-party scripts, styles or fonts.
    for tag in re.findall(r"<(?:script|img|link rel=\"(?:stylesheet|icon)\")[^>]*>", html):
        assert not re.search(r'(src|href)="(https?:)?//', tag), tag


def test_home_says_what_the_site_is_and_is_not(client):
    html = get(client, "/").content.decode()
    assert "not medical advice" in html
    assert "cannot decide whether your child can join" in html
    for trial in Trial.objects.all():
        assert f"/trials/{trial.nct_id}/" in html


def test_trial_page_shows_everything_a_parent_needs(client):
    trial = Trial.objects.get(nct_id="NCT06516679")
    html = get(client, "/trials/NCT06516679/").content.decode()
    text = " ".join(unescape(strip_tags(html)).split())
    assert trial.plain_title in html
    assert "Children who can join" in html and "Children who cannot join" in html
    for criterion in trial.criteria.all():
        assert criterion.text in text
    assert "Severance Hospital" in html and "Seoul" in html
    # The shipped facts were compiled from copies of the record, and the page says so, with the real date.
    assert "Compiled from public copies of the registry record on 21 November 2026." in text
    assert "Not yet checked against ClinicalTrials.gov." in text
    assert "Last checked" not in text
    assert "https://clinicaltrials.gov/study/NCT06516679" in html
    assert "What we do not know" in html
    assert "Phase 2" in html
    assert "Girls and boys" in html
    # The rule first, then the age range labelled as what copies of the record say.
    assert f"Who can join: {trial.age_rule}" in text
    assert "Facts from copies of the registry record" in text
    assert re.search(r"Ages ?2 years \(24 months\) and younger", text)
    assert "Risks and side effects" in text
    assert 'class="pathway"' in html and "The treatment paths, in words" in html
    for group in TreatmentGroup.objects.filter(trial=trial):
        assert group.name in html


def test_a_record_fetched_live_says_when_it_was_updated_and_fetched(client):
    Trial.objects.filter(nct_id="NCT05303727").update(
        registry_source="https://clinicaltrials.gov/api/v2/studies/NCT05303727",
        facts_source=Trial.FactsSource.REGISTRY,
        facts_fetched_on=datetime.date(2026, 12, 3),
        facts_compiled_on=None,
    )
    text = " ".join(unescape(strip_tags(get(client, "/trials/NCT05303727/").content.decode())).split())
    assert "From ClinicalTrials.gov. Record last updated 1 July 2022; fetched 3 December 2026." in text
    assert "Facts from the registry record" in text
    assert "copies" not in text.split("Facts from the registry record")[1].split("What we do not know")[0]


def test_a_disputed_status_is_never_shown_as_a_fact(client):
    """NCT06516679: two copies say not yet recruiting, the newest (17 July 2025) says recruiting."""
    for url in ("/", "/trials/", "/trials/NCT06516679/", "/trials/?recruiting=on"):
        html = get(client, url).content.decode()
        card = html.split('id="card-NCT06516679"')[1] if "card-" in html else html
        text = " ".join(unescape(strip_tags(card)).split())
        assert "Status not confirmed: the sources disagree" in text, url
        assert "TrialX (dated 17 July 2025): Recruiting" in text, url
        assert "MedPath: Not yet recruiting" in text, url
    # The other trial's sources agree: one status, with the date of the record it comes from.
    text = " ".join(unescape(strip_tags(get(client, "/trials/NCT05303727/").content.decode())).split())
    assert "Not yet recruiting (record last updated 1 July 2022)" in text
    assert "sources disagree" not in text


def test_staff_record_a_disagreement_and_every_page_follows(client):
    trial = Trial.objects.get(nct_id="NCT05303727")
    trial.sources.create(name="Another copy", status=Trial.Status.COMPLETED, seen_on=datetime.date(2026, 1, 5))
    text = " ".join(unescape(strip_tags(get(client, "/trials/NCT05303727/").content.decode())).split())
    assert "Status not confirmed: the sources disagree" in text
    assert "Another copy (dated 5 January 2026): Completed" in text


def test_lower_case_ids_go_to_the_one_true_address(client):
    response = get(client, "/trials/nct05303727/")
    assert response.status_code == 301
    assert response["Location"] == "/trials/NCT05303727/"


def test_trial_page_carries_medical_trial_json_ld(client):
    html = get(client, "/trials/NCT05303727/").content.decode()
    blocks = [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]
    trial = next(b for b in blocks if b["@type"] == "MedicalTrial")
    assert trial["identifier"] == "NCT05303727"
    assert "phase" not in trial  # no longer a schema.org property
    assert trial["status"] == "https://schema.org/NotYetRecruiting"
    assert trial["sponsor"]["name"] == "Sun Yat-Sen Memorial Hospital of Sun Yat-Sen University"
    assert trial["url"] == f"{settings.SITE_URL}/trials/NCT05303727/"


def test_json_ld_publishes_no_disputed_status(client):
    html = get(client, "/trials/NCT06516679/").content.decode()
    blocks = [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]
    trial = next(b for b in blocks if b["@type"] == "MedicalTrial")
    assert "status" not in trial


def test_faq_page_carries_faq_page_json_ld(client):
    html = get(client, "/faq/").content.decode()
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block)
    assert data["@type"] == "FAQPage"
    assert len(data["mainEntity"]) == FAQ.objects.general().published().count() > 0


def test_unknown_trial_is_a_friendly_404(client):
    response = get(client, "/trials/NCT00000000/")
    assert response.status_code == 404
    assert "could not find" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"NCT06516679", "NCT05303727"}),
        ("?condition=neuroblastoma", {"NCT05303727"}),
        ("?condition=infant-leukemia", {"NCT06516679"}),
        ("?age=8&age_unit=months", {"NCT06516679", "NCT05303727"}),
        ("?age=24&age_unit=months", {"NCT06516679", "NCT05303727"}),
        ("?age=2&age_unit=years", {"NCT06516679", "NCT05303727"}),
        # "2 years and younger" is 24 months: a 35-month-old is not rounded down to "2 years".
        ("?age=25&age_unit=months", {"NCT05303727"}),
        ("?age=35&age_unit=months", {"NCT05303727"}),
        ("?age=3&age_unit=years", {"NCT05303727"}),
        ("?age=18&age_unit=years", {"NCT05303727"}),
        ("?age=217&age_unit=months", set()),
        ("?age=19&age_unit=years", set()),
        # The sources disagree on NCT06516679's status: one says recruiting, so it stays, with its note.
        ("?recruiting=on", {"NCT06516679"}),
    ],
)
def test_trial_list_filters(client, query, expected):
    html = get(client, "/trials/" + query).content.decode()
    shown = set(re.findall(r'id="card-(NCT\d{8})"', html))
    assert shown == expected


def test_trial_list_explains_a_bad_age_and_keeps_the_other_filters(client):
    html = get(client, "/trials/?age=eight&condition=neuroblastoma").content.decode()
    assert "Enter the age as a whole number" in html
    assert 'value="eight"' in html
    assert re.search(r'<option value="neuroblastoma" selected>', html)


def test_healthz_robots_and_sitemap(client):
    assert get(client, "/healthz").content == b"ok"
    robots = get(client, "/robots.txt").content.decode()
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in robots
    sitemap = get(client, "/sitemap.xml").content.decode()
    assert f"<loc>{settings.SITE_URL}/trials/NCT06516679/</loc>" in sitemap
    assert f'hreflang="ko" href="{settings.SITE_URL}/ko/trials/NCT06516679/"' in sitemap
    assert "testserver" not in sitemap


def test_machine_readable_addresses_all_come_from_site_url(client, settings):
    """Sitemap, robots.txt, hreflang links and JSON-LD name the public address, whatever Host was used."""
    settings.SITE_URL = "https://trials.example.org"
    settings.ALLOWED_HOSTS = ["other.example", "testserver"]
    texts = [
        get(client, path, HTTP_HOST="other.example").content.decode()
        for path in ("/sitemap.xml", "/robots.txt", "/trials/NCT05303727/", "/ko/trials/NCT05303727/")
    ]
    for text in texts:
        assert "other.example" not in text
        assert "https://trials.example.org/" in text
    assert '"url": "https://trials.example.org/ko/trials/NCT05303727/"' in texts[3]
    assert get(client, "/favicon.ico").status_code == 301


def add_rows(trial: Trial, count: int) -> None:
    """More sites, FAQs, criteria and treatment steps, to show the query count does not grow."""
    for n in range(count):
        Site.objects.create(trial=trial, facility_en=f"Hospital {n}", city_en="Busan", country_en="Korea, Republic of")
        trial.sources.create(name=f"Copy {n}", status=Trial.Status.RECRUITING, covers_en="status")
        FAQ.objects.create(trial=trial, key=f"extra-{trial.pk}-{n}", question_en=f"Question {n}?", answer_en="Answer.")
        Criterion.objects.create(trial=trial, key=f"extra-{n}", kind=Criterion.Kind.EXCLUSION, text_en=f"Rule {n}")
        group = TreatmentGroup.objects.create(trial=trial, key=f"extra-{n}", name_en=f"Group {n}")
        TreatmentStep.objects.create(group=group, name_en="Step")
        GlossaryTerm.objects.create(
            slug=f"extra-{trial.pk}-{n}", term_en=f"Extra{trial.pk}x{n}", definition_en="Meaning."
        )


def count_queries(client, url) -> tuple[int, int]:
    """Queries for the first view after an edit, and for each later view, with the page cache bypassed.

    The first view loads the content that pages keep per content version
    (trials/published.py); later views read what was kept.
    """
    client.get(url)  # warms Django's own content-type cache, as on a running site
    client.cookies["sessionid"] = "a-visitor-with-a-session"  # the page cache never answers them
    counts = []
    for first_after_edit in (True, False):
        if first_after_edit:
            clear_caches()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    return tuple(counts)


# (first view after an edit, every later view), asserted exactly so a change is noticed.
EXPECTED_QUERIES = {
    "/": (6, 0),
    "/trials/": (7, 0),
    "/trials/?age=6&age_unit=months&recruiting=on": (7, 0),
    "/trials/NCT06516679/": (16, 0),
    "/trials/NCT06516679/?near=Busan": (16, 0),
    "/trials/NCT06516679/contact/": (16, 0),
    "/trials/NCT06516679/sites/": (19, 0),
    "/faq/": (3, 0),
    "/glossary/": (3, 0),
    "/privacy/": (1, 0),
    "/about/": (5, 0),
}


@pytest.mark.parametrize(("url", "expected"), EXPECTED_QUERIES.items())
def test_query_count_is_fixed_and_does_not_grow_with_content(client, url, expected):
    assert count_queries(client, url) == expected
    for trial in Trial.objects.all():
        add_rows(trial, 5)
    assert count_queries(client, url) == expected


def test_cached_page_makes_no_query_and_edits_show_at_once(client):
    clear_caches()
    client.get("/trials/NCT06516679/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/trials/NCT06516679/").status_code == 200
    assert len(queries) == 0
    trial = Trial.objects.get(nct_id="NCT06516679")
    trial.plain_title_en = "A changed title"
    trial.save()
    assert "A changed title" in client.get("/trials/NCT06516679/").content.decode()


def test_a_form_sent_without_its_security_cookie_gets_a_plain_page_in_the_readers_language():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/ko/screen/", {"step": "1", "birth_date": "2026-05-01"})
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="ko">' in html
    assert "Forbidden" not in html
    english = Client(enforce_csrf_checks=True).post("/screen/", {"step": "1"}).content.decode()
    assert "Please allow cookies for this site" in english


def test_switching_language_from_any_language_keeps_the_page(client):
    response = client.get("/language/zh-hans/", {"next": "/ko/faq/"})
    assert response["Location"] == "/zh-hans/faq/"
    assert client.get("/language/en/", {"next": "/zh-hans/trials/NCT06516679/"})["Location"] == "/trials/NCT06516679/"
    assert client.get("/language/ko/", {"next": "https://evil.example/"})["Location"] == "/ko/"
