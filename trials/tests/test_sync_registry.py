"""Keeping published trials in step with the registry: pending changes that staff accept or reject."""

import http.server
import io
import json
import re
import threading

import pytest
from django.core.management import CommandError, call_command
from reversion.models import Version

from trials import registry, signals
from trials.models import PendingChange, Site, Trial
from trials.tests.conftest import clear_caches
from trials.tests.records import location, study
from trials.tests.staff import staff_login

pytestmark = pytest.mark.django_db

SEOUL = location("Seoul", facility="Seoul Hospital", point=(37.56, 126.98), status="RECRUITING")
BUSAN = location("Busan", facility="Busan Hospital", point=(35.1, 129.04), status="NOT_YET_RECRUITING")
DAEGU = location("Daegu", facility="Daegu Hospital", point=(35.87, 128.6), status="RECRUITING")


def write(tmp_path, data, name="record.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def sync(*args) -> str:
    out = io.StringIO()
    call_command("sync_registry", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def published(tmp_path):
    call_command("import_trials", "--publish", write(tmp_path, study(locations=[SEOUL, BUSAN])), verbosity=0)
    Trial.objects.update(plain_title_en="A plain title", summary_en="A summary.")
    return Trial.objects.get()


def text_of(client, url) -> str:
    clear_caches()
    return " ".join(re.sub(r"<[^>]+>", " ", client.get(url).content.decode()).split())


def test_a_changed_record_waits_for_staff_then_accept_reject_and_nothing_raised_twice(
    tmp_path, client, staff, published, django_capture_on_commit_callbacks
):
    changed = study(
        statusModule__overallStatus="ACTIVE_NOT_RECRUITING",
        locations=[{**BUSAN, "status": "RECRUITING"}, DAEGU],  # Seoul gone, Busan recruiting, Daegu new
    )
    output = sync(write(tmp_path, changed, "new.json"))
    assert "NCT09000001: 4 new change(s) to review." in output
    kinds = sorted(PendingChange.objects.pending().values_list("kind", "field"))
    assert kinds == [("fact", "overall_status"), ("site_added", ""), ("site_removed", ""), ("site_status", "")]
    # Nothing a parent sees has changed.
    text = text_of(client, "/trials/NCT09000001/")
    assert "Recruiting" in text and "Active, not recruiting" not in text and "Seoul Hospital" in text

    heard = []
    signals.registry_changes_accepted.connect(lambda **kwargs: heard.append(kwargs), weak=False)
    staff_login(client, staff)
    status_change = PendingChange.objects.get(field="overall_status")
    review = client.get(f"/admin/trials/pendingchange/{status_change.pk}/review/").content.decode()
    assert "Recruiting" in review and "ACTIVE_NOT_RECRUITING" in review
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/trials/pendingchange/{status_change.pk}/review/", {"accept": "1"})
    published.refresh_from_db()
    assert published.overall_status == "ACTIVE_NOT_RECRUITING"
    assert "Active, not recruiting" in text_of(client, "/trials/NCT09000001/")
    assert Version.objects.get_for_object(published).exists()
    status_change.refresh_from_db()
    assert (status_change.state, status_change.decided_by) == ("accepted", staff)

    added = PendingChange.objects.get(kind="site_added")
    client.post(f"/admin/trials/pendingchange/{added.pk}/review/", {"reject": "1"})
    assert not Site.objects.filter(facility_en="Daegu Hospital").exists()

    removed = PendingChange.objects.get(kind="site_removed")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/trials/pendingchange/", {"action": "accept", "_selected_action": [removed.pk]})
    assert not Site.objects.active().filter(facility_en="Seoul Hospital").exists()

    # The same record again raises nothing new: the rejected site stays rejected, the waiting one waits.
    assert "NCT09000001: 0 new change(s) to review." not in sync(write(tmp_path, changed, "new.json"))
    assert PendingChange.objects.count() == 4
    assert PendingChange.objects.pending().count() == 1

    # Each acceptance was announced with plain data, after it was saved.
    assert [change.field for call in heard for change in call["changes"]] == ["overall_status", ""]
    assert heard[0]["trial"] == published
    assert heard[0]["changes"][0].new == "ACTIVE_NOT_RECRUITING"


def test_a_draft_simply_follows_its_record(tmp_path):
    call_command("import_trials", write(tmp_path, study(locations=[SEOUL])), verbosity=0)
    sync(write(tmp_path, study(statusModule__overallStatus="COMPLETED", locations=[SEOUL]), "new.json"))
    assert Trial.objects.get().overall_status == "COMPLETED"
    assert not PendingChange.objects.exists()


def test_when_nothing_differs_the_trial_says_it_was_checked_against_this_record(tmp_path, published):
    downloaded = study(locations=[SEOUL, BUSAN])
    downloaded["derivedSection"] = {"miscInfoModule": {"versionHolder": "2026-11-28"}}
    sync(write(tmp_path, downloaded, "downloaded.json"))
    published.refresh_from_db()
    assert not PendingChange.objects.exists()
    assert (published.facts_source, str(published.facts_fetched_on)) == ("registry_file", "2026-11-28")


@pytest.fixture
def registry_api():
    """A local HTTP server that answers like the registry: one record, and 404 for any other."""
    records = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            nct_id = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
            if nct_id not in records:
                self.send_response(404)
                self.end_headers()
                return
            body = json.dumps(records[nct_id]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    original = registry.records.API_URL
    registry.records.API_URL = f"http://127.0.0.1:{server.server_port}/api/v2/studies/{{nct_id}}?format=json"
    yield records
    registry.records.API_URL = original
    server.shutdown()


def test_a_vanished_record_is_reported_and_nothing_is_deleted(published, registry_api):
    with pytest.raises(CommandError, match="could not be checked"):
        sync("--fetch")
    assert Trial.objects.filter(nct_id="NCT09000001", is_published=True).exists()
    assert Site.objects.active().count() == 2
    assert not PendingChange.objects.exists()


def test_fetching_every_trial_records_its_changes(published, registry_api):
    registry_api["NCT09000001"] = study(statusModule__overallStatus="SUSPENDED", locations=[SEOUL, BUSAN])
    assert "NCT09000001: 1 new change(s) to review." in sync("--fetch")
    change = PendingChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == ("overall_status", "RECRUITING", "SUSPENDED")
    assert change.source.startswith("http://127.0.0.1")
