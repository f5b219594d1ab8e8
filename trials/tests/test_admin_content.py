"""Staff keep the content true in the admin: read-only registry facts, grades, reviews, history."""

import re

import pytest
from django.contrib.auth import get_user_model
from reversion.models import Version

from trials.models import FAQ, FieldReview, Trial
from trials.tests.conftest import clear_caches
from trials.tests.staff import sign_in, staff_login

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_superuser("editor", "editor@example.org", PASSWORD, first_name="Mina")


@pytest.mark.django_db
def test_registry_facts_are_read_only_and_plain_text_is_editable(client, trials_data, staff_user):
    staff_login(client, staff_user)
    trial = Trial.objects.get(nct_id="NCT06516679")
    html = client.get(f"/admin/trials/trial/{trial.pk}/change/").content.decode()
    for editable in ("summary_en", "summary_ko", "summary_zh_hans", "involvement_en", "plain_title_ko"):
        assert f'name="{editable}"' in html
    for read_only in ("brief_title", "overall_status", "phases", "maximum_age", "sponsor_en", "facts_source"):
        assert f'name="{read_only}"' not in html
    # The registry names the sponsor in English; staff keep its Korean and Chinese names.
    for local in ("sponsor_ko", "sponsor_zh_hans", "age_rule_ko", "risks_en"):
        assert f'name="{local}"' in html
    assert "Registry facts (read-only" in html
    assert "Reading grade" in html and "(target 7.0 or lower)" in html


@pytest.mark.django_db
def test_staff_record_a_disagreement_between_sources_in_the_admin(client, trials_data, staff_user):
    """A copy that gives another status makes NCT05303727's status "not confirmed" on every page."""
    staff_login(client, staff_user)
    trial = Trial.objects.get(nct_id="NCT05303727")
    url = f"/admin/trials/trial/{trial.pk}/change/"
    data = {
        key: value.removeprefix("\n") if isinstance(value, str) else value
        for key, value in form_data(client.get(url).content.decode()).items()
    }
    row = int(data["sources-TOTAL_FORMS"])
    data.update(
        {
            "sources-TOTAL_FORMS": str(row + 1),
            f"sources-{row}-name": "A newer copy",
            f"sources-{row}-seen_on": "2026-10-02",
            f"sources-{row}-status": "RECRUITING",
            f"sources-{row}-covers_en": "status",
            f"sources-{row}-order": "9",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    trial.refresh_from_db()
    assert trial.status_disputed
    clear_caches()
    html = client.get("/zh-hans/trials/NCT05303727/").content.decode()
    assert "招募状态未确认：各来源说法不一" in html
    assert "A newer copy" in html and "2026年10月2日" in html


@pytest.mark.django_db
def test_trials_cannot_be_added_by_hand(client, trials_data, staff_user):
    staff_login(client, staff_user)
    assert client.get("/admin/trials/trial/add/").status_code == 403


@pytest.mark.django_db
def test_admin_lists_search_and_filter(client, trials_data, staff_user):
    staff_login(client, staff_user)
    assert "NCT05303727" in client.get("/admin/trials/trial/?q=neuroblastoma").content.decode()
    faq_page = client.get("/admin/trials/faq/?topic__exact=infants").content.decode()
    assert FAQ.objects.filter(topic="infants").first().question_en[:30] in faq_page
    assert client.get("/admin/trials/glossaryterm/?q=MRD").status_code == 200
    assert client.get("/admin/trials/site/?q=Seoul").status_code == 200


@pytest.mark.browser
def test_editing_marks_reviews_and_keeps_history(live_server, page, live_trials):
    get_user_model().objects.create_superuser("editor", "editor@example.org", PASSWORD, first_name="Mina")
    trial = Trial.objects.get(nct_id="NCT05303727")
    sign_in(page, live_server.url, "editor", PASSWORD)

    page.goto(f"{live_server.url}/admin/trials/trial/{trial.pk}/change/")
    page.fill("#id_summary_ko", "연구팀이 확인한 요약입니다.")
    page.get_by_label("summary · Korean").check()
    page.click("input[name=_save]")
    assert "was changed successfully" in page.locator(".messagelist").inner_text()

    review = FieldReview.objects.get(object_id=trial.pk, field="summary", language="ko")
    assert review.reviewer_name == "Mina"
    trial.refresh_from_db()
    assert trial.is_reviewed("summary", "ko")
    assert not trial.is_reviewed("summary", "zh-hans")

    # The public Korean page no longer shows the "not checked" note for that text.
    page.goto(live_server.url + "/ko/trials/NCT05303727/")
    summary = page.locator("section[aria-labelledby=summary-heading]")
    assert "연구팀이 확인한 요약입니다." in summary.inner_text()
    assert summary.locator(".review-note").count() == 0

    # An edit after the review makes it stale again.
    page.goto(f"{live_server.url}/admin/trials/trial/{trial.pk}/change/")
    page.fill("#id_summary_ko", "다시 고친 요약입니다.")
    page.click("input[name=_save]")
    page.locator(".messagelist").wait_for()
    trial.refresh_from_db()
    assert not trial.is_reviewed("summary", "ko")
    page.goto(f"{live_server.url}/admin/trials/trial/{trial.pk}/change/")
    assert "changed since Mina reviewed it" in page.content()

    # History: who changed what, and when.
    versions = Version.objects.get_for_object(trial)
    assert versions.count() == 2
    assert versions[1].field_dict["summary_ko"] == "연구팀이 확인한 요약입니다."
    assert versions[0].revision.user.username == "editor"
    page.goto(f"{live_server.url}/admin/trials/trial/{trial.pk}/history/")
    assert "editor" in page.content()


def form_data(html: str) -> dict:
    """What the browser would post from an admin change form, as it stands."""
    from html.parser import HTMLParser

    class Fields(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data, self.textarea, self.select = {}, None, None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            name = attrs.get("name")
            if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
                if attrs.get("type") in ("checkbox", "radio"):
                    if "checked" in attrs:
                        self.data.setdefault(name, []).append(attrs.get("value", "on"))
                else:
                    self.data[name] = attrs.get("value", "")
            elif tag == "textarea" and name:
                self.textarea, self.data[name] = name, ""
            elif tag == "select" and name:
                self.select, self.data[name] = name, ""
            elif tag == "option" and self.select and "selected" in attrs:
                self.data[self.select] = attrs.get("value", "")

        def handle_endtag(self, tag):
            if tag == "textarea":
                self.textarea = None
            elif tag == "select":
                self.select = None

        def handle_data(self, data):
            if self.textarea:
                self.data[self.textarea] += data

    parser = Fields()
    parser.feed(html)
    return parser.data


@pytest.mark.django_db
def test_staff_see_and_set_whether_a_trials_criteria_are_complete(client, trials_data, staff_user):
    staff_login(client, staff_user)
    listing = client.get("/admin/trials/trial/?criteria_complete__exact=1").content.decode()
    assert "NCT06516679" in listing and "NCT05303727" not in listing
    trial = Trial.objects.get(nct_id="NCT06516679")
    url = f"/admin/trials/trial/{trial.pk}/change/"
    html = client.get(url).content.decode()
    assert 'name="criteria_complete"' in html and "never says a child may qualify" in html
    data = form_data(html)
    assert data.pop("criteria_complete") == ["on"]
    data.pop("mark_reviewed", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    trial.refresh_from_db()
    assert trial.criteria_complete is False


@pytest.mark.browser
def test_history_records_only_real_changes_with_a_diff_and_english_edits_flag_translations(
    live_server, page, live_trials
):
    get_user_model().objects.create_superuser("editor", "editor@example.org", PASSWORD, first_name="Mina")
    trial = Trial.objects.get(nct_id="NCT06516679")
    sign_in(page, live_server.url, "editor", PASSWORD)
    change = f"{live_server.url}/admin/trials/trial/{trial.pk}/change/"

    # The Korean summary is reviewed; the form is saved twice without any edit.
    page.goto(change)
    page.get_by_label("summary · Korean").check()
    page.click("input[name=_save]")
    page.locator(".messagelist").wait_for()
    for _ in range(2):
        page.goto(change)
        page.click("input[name=_save]")
        page.locator(".messagelist").wait_for()
    assert Version.objects.get_for_object(trial).count() == 0  # nothing changed, nothing recorded
    trial.refresh_from_db()
    assert trial.is_reviewed("summary", "ko")

    # Editing the English text marks the reviewed Korean "may be out of date".
    page.goto(change)
    page.fill("#id_summary_en", trial.summary_en + " One more sentence.")
    page.click("input[name=_save]")
    page.locator(".messagelist").wait_for()
    trial.refresh_from_db()
    assert not trial.is_reviewed("summary", "ko")
    page.goto(change)
    assert "may be out of date: the English text changed after Mina reviewed this" in page.content()
    page.fill("#id_summary_en", trial.summary_en + " And another.")
    page.click("input[name=_save]")
    page.locator(".messagelist").wait_for()

    # History: two real changes, and a field-by-field comparison of them.
    versions = list(Version.objects.get_for_object(trial))
    assert len(versions) == 2
    page.goto(f"{live_server.url}/admin/trials/trial/{trial.pk}/history/")
    page.get_by_role("button", name=re.compile("compare", re.I)).first.click()
    assert "And another." in page.content() and "One more sentence." in page.content()
