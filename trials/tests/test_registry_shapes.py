"""Real registry records, in every shape the API v2 data structure allows, and what parents then see."""

import json
import re

import pytest
from django.core.management import CommandError, call_command

from trials.models import Site, Trial
from trials.tests.conftest import clear_caches
from trials.tests.records import location, study
from trials.tests.staff import staff_login

ALL_STATUSES = [
    "NOT_YET_RECRUITING",
    "RECRUITING",
    "ENROLLING_BY_INVITATION",
    "ACTIVE_NOT_RECRUITING",
    "SUSPENDED",
    "TERMINATED",
    "COMPLETED",
    "WITHDRAWN",
    "AVAILABLE",
    "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING",
    "WITHHELD",
    "UNKNOWN",
]

pytestmark = pytest.mark.django_db


def write(tmp_path, name, data, *, bom=False) -> str:
    path = tmp_path / name
    text = json.dumps(data, ensure_ascii=False)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return str(path)


def load(tmp_path, *records, publish=True, name="records.json"):
    """Imports the records (published, with a plain title and summary, as staff would finish them)."""
    page = {"studies": list(records)}
    call_command("import_trials", write(tmp_path, name, page), verbosity=0)
    if publish:
        for record in records:
            nct_id = record["protocolSection"]["identificationModule"]["nctId"]
            Trial.objects.filter(nct_id=nct_id).update(
                is_published=True, plain_title_en=f"Plain title {nct_id}", summary_en="A short summary."
            )
    clear_caches()


def page_text(client, url) -> str:
    clear_caches()
    response = client.get(url)
    assert response.status_code == 200, url
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- sites ---------------------------------------------------------------------------------------


def test_locations_without_a_facility_name_are_imported_and_named_by_their_city(tmp_path, client):
    cities = [f"Town{n}" for n in range(42)]
    load(tmp_path, study(locations=[location(city, "China") for city in cities]))
    trial = Trial.objects.get()
    assert trial.sites.count() == 42
    assert {site.name for site in trial.sites.all()} == {f"Study site in {city}, China" for city in cities}
    text = page_text(client, "/trials/NCT09000001/sites/")
    assert "Study site in Town0, China" in text


def test_the_same_hospital_name_in_two_cities_stays_two_sites_with_their_own_addresses(tmp_path):
    both = [
        location("Springfield", "United States", facility="Saint Mary's Hospital", state="Illinois", zip="62701"),
        location("Springfield", "United States", facility="Saint Mary's Hospital", state="Missouri", zip="65801"),
        location("Boston", "United States", facility="Saint Mary's Hospital", zip="02101"),
    ]
    load(tmp_path, study(locations=both))
    sites = Site.objects.order_by("zip")
    assert [(site.state_en, site.zip) for site in sites] == [
        ("", "02101"),
        ("Illinois", "62701"),
        ("Missouri", "65801"),
    ]
    # Importing again matches each site to itself: nothing new, nothing overwritten.
    load(tmp_path, study(locations=both), publish=False)
    assert Site.objects.count() == 3


def test_a_location_without_coordinates_is_placed_by_its_city_and_sorted_by_distance(tmp_path, client):
    far = location("Seoul", facility="Far Hospital", point=(37.56, 126.98))
    no_point = location("Busan", facility="Haeundae Children's Clinic")
    load(tmp_path, study(locations=[far, no_point]))
    placed = Site.objects.get(facility_en="Haeundae Children's Clinic")
    assert placed.location_approximate and placed.latitude == pytest.approx(35.1, abs=0.2)
    text = page_text(client, "/trials/NCT09000001/?near=Busan")
    # The placed site comes first, well within 30 km, and says its distance is measured from the city centre.
    assert text.index("Haeundae Children's Clinic") < text.index("Far Hospital")
    assert "measured from the centre of its city" in text
    response = client.get("/api/v1/trials/NCT09000001/sites?near=Busan").json()
    assert response["sites"][0]["name"] == "Haeundae Children's Clinic"
    assert response["sites"][0]["distance_km"] < 30


def test_a_location_in_an_unknown_country_is_not_guessed_onto_the_map(tmp_path):
    load(tmp_path, study(locations=[location("Springfield", "Atlantis", facility="Nowhere Hospital")]))
    site = Site.objects.get()
    assert site.latitude is None and not site.location_approximate


# --- statuses, dates, phases, files ----------------------------------------------------------------


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_every_registry_status_imports_and_is_named(tmp_path, client, status):
    load(tmp_path, study(statusModule__overallStatus=status, locations=[location("Seoul", status=status)]))
    trial = Trial.objects.get()
    assert trial.overall_status == status
    assert trial.get_overall_status_display() in page_text(client, "/trials/NCT09000001/")


def test_actual_dates_are_said_as_past_and_estimated_ones_as_expected(tmp_path, client):
    record = study(
        statusModule__startDateStruct={"date": "2023-02-10", "type": "ACTUAL"},
        statusModule__completionDateStruct={"date": "2025-06", "type": "ACTUAL"},
        statusModule__overallStatus="COMPLETED",
    )
    load(tmp_path, record)
    text = page_text(client, "/trials/NCT09000001/")
    assert "Started 10 February 2023" in text
    assert "Ended June 2025" in text
    assert "Expected" not in text and "Planned start" not in text


def test_phase_na_and_a_withdrawn_trial_with_no_children(tmp_path, client):
    record = study(
        statusModule__overallStatus="WITHDRAWN",
        designModule__phases=["NA"],
        designModule__enrollmentInfo={"count": 0, "type": "ACTUAL"},
    )
    load(tmp_path, record)
    text = page_text(client, "/trials/NCT09000001/")
    assert "Trial phase Not applicable" in text
    assert "Withdrawn" in text
    assert "Children taking part 0" in text


def test_a_file_with_a_byte_order_mark_imports(tmp_path):
    call_command("import_trials", write(tmp_path, "bom.json", study(), bom=True), verbosity=0)
    assert Trial.objects.filter(nct_id="NCT09000001").exists()


def test_a_run_is_all_or_nothing_and_names_the_file_and_field(tmp_path):
    good = write(tmp_path, "good.json", study("NCT09000002"))
    bad = write(tmp_path, "bad.json", study("NCT09000003", statusModule__overallStatus="OPEN"))
    with pytest.raises(CommandError) as raised:
        call_command("import_trials", good, bad, verbosity=0)
    assert "bad.json" in str(raised.value)
    assert "protocolSection.statusModule.overallStatus" in str(raised.value)
    assert not Trial.objects.exists()


# --- drafts and publishing -------------------------------------------------------------------------


def test_an_imported_trial_is_a_draft_hidden_from_every_public_page(tmp_path, client):
    load(tmp_path, study(), publish=False)
    trial = Trial.objects.get()
    assert not trial.is_published
    clear_caches()
    assert client.get("/trials/NCT09000001/").status_code == 404
    assert client.get("/trials/NCT09000001/sites/").status_code == 404
    assert client.get("/trials/NCT09000001/screen/").status_code == 404
    assert "NCT09000001" not in client.get("/trials/").content.decode()
    assert "NCT09000001" not in client.get("/").content.decode()
    assert "NCT09000001" not in client.get("/sitemap.xml").content.decode()
    assert client.get("/api/v1/trials/NCT09000001/sites?near=Busan").status_code == 404
    answer = client.post(
        "/api/v1/prescreen", {"answers": {}, "trials": ["NCT09000001"]}, content_type="application/json"
    )
    assert answer.status_code == 400


def test_publish_on_import_for_scripted_set_ups(tmp_path):
    call_command("import_trials", "--publish", write(tmp_path, "one.json", study()), verbosity=0)
    assert Trial.objects.get().is_published


def test_counts_follow_what_is_published(tmp_path, client):
    load(tmp_path, study("NCT09000001"), study("NCT09000002"), study("NCT09000003"))
    Trial.objects.filter(nct_id="NCT09000003").update(is_published=False)
    assert "This site explains 2 clinical trials" in page_text(client, "/")
    assert "2 trials found" in page_text(client, "/trials/")


def test_the_admin_refuses_to_publish_a_trial_without_its_plain_title_and_summary(tmp_path, client, staff):
    load(tmp_path, study(), publish=False)
    trial = Trial.objects.get()
    staff_login(client, staff)
    response = client.post("/admin/trials/trial/", {"action": "publish", "_selected_action": [trial.pk]}, follow=True)
    assert "NCT09000001 was not published. Write these first: plain-language title, summary." in (
        response.content.decode()
    )
    trial.refresh_from_db()
    assert not trial.is_published
    Trial.objects.filter(pk=trial.pk).update(plain_title_en="A plain title", summary_en="What it is about.")
    client.post("/admin/trials/trial/", {"action": "publish", "_selected_action": [trial.pk]})
    trial.refresh_from_db()
    assert trial.is_published


def test_the_registrys_own_eligibility_text_is_shown_as_its_words_in_english(tmp_path, client):
    load(tmp_path, study())
    english = client.get("/trials/NCT09000001/").content.decode()
    assert "Who can take part, in the registry's own words" in english
    assert '<div lang="en" class="registry-text"><p>Inclusion Criteria:' in english
    korean = page_text(client, "/ko/trials/NCT09000001/")
    assert "이 부분은 아직 번역되지 않았어요." in korean


# --- registry contacts are suggestions ---------------------------------------------------------------


def test_a_registry_contact_is_a_suggestion_until_staff_confirm_it(tmp_path):
    load(tmp_path, study())
    site = Site.objects.get()
    assert site.team_email == "study@hospital.test"
    assert not site.team_email_verified and not site.can_receive_messages
    from trials.checks import check_site_addresses

    warnings = check_site_addresses(None)
    assert [w.id for w in warnings] == ["trials.W002"]
    assert "NCT09000001: 1 active site(s) have an address from the registry" in warnings[0].msg
    site.team_email_verified = True
    site.save()
    assert check_site_addresses(None) == []


# --- size ------------------------------------------------------------------------------------------


def test_pages_keep_their_query_counts_and_stay_small_with_hundreds_of_trials_and_a_1148_site_trial(tmp_path, client):
    many = [
        location(f"City{n % 97}", "China", facility=f"Hospital {n}", point=(20 + n % 20, 100 + n % 30))
        for n in range(1148)
    ]
    load(tmp_path, study("NCT09000001", locations=many), *[study(f"NCT0910{n:04d}") for n in range(100)])

    from trials.tests.test_pages import EXPECTED_QUERIES, count_queries

    # A trial without sources, FAQs or groups needs no query for them: at most the shipped counts.
    for url in ("/", "/trials/", "/trials/NCT09000001/sites/", "/trials/NCT09000001/"):
        first, later = count_queries(client, url)
        expected_first, expected_later = EXPECTED_QUERIES[url.replace("NCT09000001", "NCT06516679")]
        assert first <= expected_first and later == expected_later, url
    html = client.get("/trials/NCT09000001/").content.decode()
    assert len(html) < 40_000, len(html)  # ten sites, not 1,148
    assert "See all 1148 hospitals of this trial" in html
    assert 'id="near"' in html
    # With a place, the nearest sites are searched in the database, not measured one by one.
    first, later = count_queries(client, "/trials/NCT09000001/?near=Guangzhou")
    assert later <= 4, later

    def queries(url) -> tuple[int, int]:
        clear_caches()
        response = client.get(url)
        assert response.status_code == 200
        return 0, len(response.content)

    _count, sites_page = queries("/trials/NCT09000001/sites/?page=3")
    assert sites_page < 60_000
