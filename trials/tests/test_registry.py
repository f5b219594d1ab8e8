"""The registry importer: `manage.py import_trials`."""

import copy
import datetime
import http.server
import io
import json
import re
import threading
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from trials import registry
from trials.models import Site, Trial
from trials.prodlocal.stack import free_port
from trials.tests.conftest import REGISTRY_DIR

FILES = sorted(str(path) for path in REGISTRY_DIR.glob("*.json"))


def record(nct_id="NCT01234567", **changes) -> dict:
    study = json.loads((REGISTRY_DIR / "NCT05303727.json").read_text())
    study = copy.deepcopy(study)
    study["protocolSection"]["identificationModule"]["nctId"] = nct_id
    for path, value in changes.items():
        node = study
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    return study


def write(tmp_path, name, data) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_import_creates_trials_and_their_sponsor_sites():
    call_command("import_trials", *FILES, verbosity=0)
    infant = Trial.objects.get(nct_id="NCT06516679")
    assert infant.brief_title == "Efficacy of Risk-Stratified Treatment in Newly Diagnosed Infant Leukemia"
    assert infant.phases == ["PHASE2"]
    assert infant.maximum_age == "2 Years"
    assert infant.max_age_months == 24
    assert infant.sponsor_en == "Yonsei University"
    site = infant.sites.get()
    assert (site.facility_en, site.city_en, site.country_en) == ("Severance Hospital", "Seoul", "Korea, Republic of")
    assert site.latitude == pytest.approx(37.5622)
    assert site.team_email.endswith("@example.org")

    neuroblastoma = Trial.objects.get(nct_id="NCT05303727")
    assert neuroblastoma.org_study_id == "2021-KY-126"
    assert neuroblastoma.start_date == "2022-08"
    assert neuroblastoma.completion_date == "2027-03-01"
    assert (neuroblastoma.start_date_type, neuroblastoma.completion_date_type) == ("ESTIMATED", "ESTIMATED")
    assert neuroblastoma.max_age_months == 18 * 12
    assert neuroblastoma.sites.get().city_en == "Guangzhou"


@pytest.mark.django_db
def test_import_is_idempotent():
    call_command("import_trials", *FILES, verbosity=0)
    before = list(Trial.objects.values().order_by("nct_id"))
    sites_before = list(Site.objects.values().order_by("pk"))
    call_command("import_trials", *FILES, verbosity=0)
    assert list(Trial.objects.values().order_by("nct_id")) == before
    assert list(Site.objects.values().order_by("pk")) == sites_before


def dumpdata() -> str:
    out = io.StringIO()
    call_command("dumpdata", "trials.trial", "trials.site", indent=1, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_importing_the_shipped_files_twice_moves_no_date(tmp_path):
    """The dumpdata of trials and sites is byte-for-byte the same after a second import, a day later."""
    call_command("import_trials", "--compiled-on=2026-11-21", *FILES, verbosity=0)
    before = dumpdata()
    with time_machine.travel(datetime.datetime(2027, 1, 2, tzinfo=datetime.UTC)):
        call_command("import_trials", "--compiled-on=2026-11-21", *FILES, verbosity=0)
    assert dumpdata() == before
    assert "2026-11-21" in before  # the day the files were compiled, and no other date of ours


def test_the_shipped_record_files_carry_no_date_the_facts_do_not_give():
    """Only the dates in ../shared/trials/facts.md: NCT05303727's four registry dates, and none for NCT06516679."""
    known = {"2022-03-31", "2022-08", "2027-03-01", "2022-07-01"}
    for path in FILES:
        text = Path(path).read_text()
        dates = set(re.findall(r"\b\d{4}-\d{2}(?:-\d{2})?\b", text))
        assert dates <= known, f"{path}: {dates - known}"
        assert "versionHolder" not in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("how", "source", "fetched_on", "compiled_on"),
    [
        ("compiled", "compiled", None, datetime.date(2026, 11, 21)),
        ("download", "registry_file", datetime.date(2025, 6, 30), None),
        ("download-without-version", "registry_file", None, None),
        ("unknown-file", "file", None, None),
    ],
)
def test_each_trial_records_where_its_facts_came_from(tmp_path, how, source, fetched_on, compiled_on):
    study = record()
    if how == "download":
        study["derivedSection"] = {"miscInfoModule": {"versionHolder": "2025-06-30"}}
    if how == "unknown-file":
        del study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]
    options = ["--compiled-on=2026-11-21"] if how == "compiled" else []
    call_command("import_trials", *options, write(tmp_path, "one.json", study), verbosity=0)
    trial = Trial.objects.get(nct_id="NCT01234567")
    assert (trial.facts_source, trial.facts_fetched_on, trial.facts_compiled_on) == (source, fetched_on, compiled_on)


def test_a_bad_compiled_on_date_is_refused():
    with pytest.raises(CommandError, match="2026-11-21"):
        call_command("import_trials", "--compiled-on", "21/11/2026", *FILES, verbosity=0)


@pytest.mark.django_db
def test_import_never_overwrites_staff_content():
    call_command("import_trials", *FILES, verbosity=0)
    trial = Trial.objects.get(nct_id="NCT06516679")
    trial.summary_en = "Written by staff."
    trial.summary_ko = "직원이 쓴 글."
    trial.plain_title_en = "Staff title"
    trial.save()
    site = trial.sites.get()
    site.team_email = "real-team@hospital.test"
    site.street = "50-1 Yonsei-ro"
    site.save()

    call_command("import_trials", *FILES, verbosity=0)
    trial.refresh_from_db()
    site.refresh_from_db()
    assert (trial.summary_en, trial.summary_ko, trial.plain_title_en) == (
        "Written by staff.",
        "직원이 쓴 글.",
        "Staff title",
    )
    assert (site.team_email, site.street) == ("real-team@hospital.test", "50-1 Yonsei-ro")


@pytest.mark.django_db
def test_import_reads_a_page_of_studies(tmp_path):
    page = {"studies": [record("NCT00000001"), record("NCT00000002")], "nextPageToken": "abc"}
    call_command("import_trials", write(tmp_path, "page.json", page), verbosity=0)
    assert set(Trial.objects.values_list("nct_id", flat=True)) == {"NCT00000001", "NCT00000002"}


@pytest.mark.django_db
def test_a_site_the_registry_drops_is_hidden_and_comes_back_when_listed_again(tmp_path):
    call_command("import_trials", write(tmp_path, "a.json", record()), verbosity=0)
    assert Site.objects.active().count() == 1
    dropped = record(**{"protocolSection.contactsLocationsModule.locations": []})
    call_command("import_trials", write(tmp_path, "b.json", dropped), verbosity=0)
    assert Site.objects.active().count() == 0
    assert Site.objects.get().listed is False
    call_command("import_trials", write(tmp_path, "a.json", record()), verbosity=0)
    assert Site.objects.active().count() == 1


@pytest.mark.parametrize(
    ("content", "field_named"),
    [
        ("{not json", "(file)"),
        (record(nct_id="12345"), "protocolSection.identificationModule.nctId"),
        (
            record(**{"protocolSection.identificationModule.briefTitle": None}),
            "protocolSection.identificationModule.briefTitle",
        ),
        (
            record(**{"protocolSection.statusModule.overallStatus": "OPEN"}),
            "protocolSection.statusModule.overallStatus",
        ),
        (record(**{"protocolSection.designModule.phases": "PHASE2"}), "protocolSection.designModule.phases"),
        (
            record(**{"protocolSection.contactsLocationsModule.locations.0.geoPoint": {"lat": 123.0, "lon": 1.0}}),
            "protocolSection.contactsLocationsModule.locations[0].geoPoint.lat",
        ),
        (
            record(**{"protocolSection.contactsLocationsModule.locations.0.geoPoint": {"lat": "north", "lon": 1.0}}),
            "protocolSection.contactsLocationsModule.locations[0].geoPoint.lat",
        ),
        (
            record(**{"protocolSection.contactsLocationsModule.locations.0.city": 5}),
            "protocolSection.contactsLocationsModule.locations[0].city",
        ),
        (record(**{"protocolSection.statusModule.startDateStruct.date": "August 2022"}), "startDateStruct.date"),
        ({"studies": [record(), "not a study"]}, "studies[1]"),
    ],
)
@pytest.mark.django_db
def test_a_malformed_file_names_file_and_field_and_changes_nothing(tmp_path, content, field_named):
    call_command("import_trials", *FILES, verbosity=0)
    before = list(Trial.objects.values().order_by("nct_id"))
    sites_before = list(Site.objects.values().order_by("pk"))
    good = write(tmp_path, "good.json", record("NCT09999999"))
    bad = write(tmp_path, "bad.json", content)

    with pytest.raises(CommandError) as error:
        # The good file comes first: nothing from it may be written either.
        call_command("import_trials", good, bad, verbosity=0)

    message = str(error.value)
    assert "bad.json" in message
    assert field_named in message
    assert "Nothing was imported" in message
    assert list(Trial.objects.values().order_by("nct_id")) == before
    assert list(Site.objects.values().order_by("pk")) == sites_before


@pytest.mark.django_db
def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="missing.json.*cannot be read"):
        call_command("import_trials", str(tmp_path / "missing.json"), verbosity=0)


@pytest.mark.django_db
def test_fetch_offline_fails_with_a_clear_message(monkeypatch):
    # Nothing listens on this port: the same failure as a machine with no network.
    # A free port: nothing listens there.
    monkeypatch.setattr(registry.records, "API_URL", f"http://127.0.0.1:{free_port()}/api/v2/studies/{{nct_id}}")
    with pytest.raises(CommandError, match="Could not reach ClinicalTrials.gov.*offline"):
        call_command("import_trials", fetch=["NCT06516679"], verbosity=0)
    assert not Trial.objects.exists()


@pytest.fixture
def registry_server():
    """A local HTTP server that answers like the registry's API, from the shipped record files."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            nct_id = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
            path = REGISTRY_DIR / f"{nct_id}.json"
            if not path.exists():
                self.send_response(404)
                self.end_headers()
                return
            body = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v2/studies/{{nct_id}}?format=json"
    server.shutdown()


@pytest.mark.django_db
def test_fetch_downloads_and_imports_the_live_record(monkeypatch, registry_server):
    monkeypatch.setattr(registry.records, "API_URL", registry_server)
    with time_machine.travel(datetime.datetime(2026, 12, 3, 10, tzinfo=datetime.UTC)):
        call_command("import_trials", fetch=["nct05303727"], verbosity=0)
    trial = Trial.objects.get(nct_id="NCT05303727")
    assert trial.registry_source.startswith("http://127.0.0.1")
    assert trial.facts_source == "registry"
    assert trial.facts_fetched_on == datetime.date(2026, 12, 3)
    assert trial.last_update_posted == "2022-07-01"
    with pytest.raises(CommandError, match="answered 404"):
        call_command("import_trials", fetch=["NCT00000000"], verbosity=0)


@pytest.mark.parametrize(
    ("text", "upper", "months"),
    [
        ("2 Years", True, 24),  # a child of 35 months is older than "2 years and younger"
        ("18 Years", True, 216),
        ("6 Months", True, 6),
        ("1 Year", False, 12),
        ("4 Weeks", True, 0),  # 28 days: not yet a whole month
        ("6 Weeks", False, 2),  # 42 days: a child of 1 month (30 days) may be too young
        ("30 Days", True, 0),
        ("N/A", True, None),
        ("", False, None),
    ],
)
def test_registry_ages_become_months_without_rounding_a_bound_outwards(text, upper, months):
    assert registry.registry_age_to_months(text, upper=upper) == months
