"""The contact page: sites by distance, validation, consent, abuse limits, and the sent page."""

import re

import pytest
from django.core import signing
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from trials.models import ContactMessage, Site, Trial

NCT = "NCT06516679"


@pytest.fixture
def url():
    return reverse("trial_contact", args=[NCT])


def shipped_site(nct_id=NCT):
    return Site.objects.get(trial__nct_id=nct_id)


def good_data(chosen, **changes):
    data = {
        "action": "send",
        "first_name": "민준",
        "last_name": "김",
        "email": "guardian@example.com",
        "phone": "+82 10-1234-5678",
        "preferred_language": "ko",
        "location": "부산",
        "site": str(chosen.pk),
        "consent_site": str(chosen.pk),
        "consent": "on",
        "message": "우리 아이가 이 연구에 참여할 수 있을까요?\n감사합니다.",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_page_lists_the_sites_with_status_and_no_silent_default(client, trials_data, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    labels = [
        re.sub(r"<[^>]+>|\*", "", text).strip()
        for text in re.findall(r"<(?:label|legend)[^>]*>(.*?)</(?:label|legend)>", html, re.S)
    ]
    for label in [
        "First name",
        "Last name",
        "Email",
        "Phone number",
        "Preferred language",
        "Your location",
        "Study site",
        "Message",
    ]:
        assert label in labels, label
    assert "I agree that my details are sent to the study team at the site I choose." in labels
    site = shipped_site()
    assert site.facility in html
    assert "Recruiting status not known" in html
    # The shipped sites' status is unknown: none is chosen for the guardian.
    assert "checked" not in html.split('name="site"')[1].split(">")[0]
    assert "None of these sites is known to be recruiting" in html


def test_find_sites_near_a_place_keeps_what_was_typed(client, trials_data, url):
    response = client.post(url, {"action": "find", "location": "부산", "first_name": "민준", "message": "안녕하세요"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Busan, South Korea" in html
    assert "about 3" in html and "km away" in html  # Seoul is about 320 km from Busan
    assert 'value="민준"' in html
    assert "안녕하세요" in html
    assert "This field is required" not in html


def test_an_ambiguous_place_offers_candidates(client, trials_data, url):
    html = client.post(url, {"action": "find", "location": "廣州"}).content.decode()
    assert "More than one place has this name" in html
    assert "Guangzhou, China" in html and "Gwangju, South Korea" in html
    assert 'name="place"' in html


def test_an_unknown_place_says_so_and_still_lists_the_sites(client, trials_data, url):
    html = client.post(url, {"action": "find", "location": "Qqqzzz town"}).content.decode()
    assert "We could not find this place" in html
    assert shipped_site().facility in html


def test_nearest_recruiting_site_is_the_default(client, trials_data, url):
    trial = Trial.objects.get(nct_id=NCT)
    common = {"trial": trial, "country": "Testland", "team_email": "team@example.org"}
    near = Site.objects.create(
        facility="Near, not recruiting",
        city="A",
        latitude=35.2,
        longitude=129.1,
        status=Site.Status.NOT_YET_RECRUITING,
        **common,
    )
    recruiting = Site.objects.create(
        facility="Farther, recruiting",
        city="B",
        latitude=36.3,
        longitude=127.4,
        status=Site.Status.RECRUITING,
        **common,
    )
    html = client.get(url, {"location": "Busan"}).content.decode()
    chosen = (
        html.split(f'id="site-{recruiting.pk}"')[0].rsplit("<input", 1)[1]
        + html.split(f'id="site-{recruiting.pk}"')[1].split(">")[0]
    )
    assert "checked" in chosen
    assert html.count("checked") == 1
    assert "I agree that my details are sent to the study team at Farther, recruiting." in html
    assert html.index(f'id="site-{near.pk}"') < html.index(f'id="site-{recruiting.pk}"')
    assert "We have chosen Farther, recruiting, the nearest site that is recruiting." in html


def test_a_valid_message_is_stored_queued_and_redirects(client, trials_data, url):
    site = shipped_site()
    response = client.post(url, good_data(site))
    assert response.status_code == 302
    message = ContactMessage.objects.get()
    assert (message.first_name, message.last_name, message.site, message.language) == ("민준", "김", site, "en")
    assert message.phone == "+82 10-1234-5678"
    assert message.location_text == "부산" and message.latitude == pytest.approx(35.1, abs=0.2)
    assert message.consent_text == f"I agree that my details are sent to the study team at {site.facility}."
    assert message.prescreen_summary == ""
    task = DBTaskResult.objects.get()
    assert task.task_path == "trials.tasks.deliver_contact_message"
    assert task.args_kwargs["args"] == [message.pk]
    # No personal data in the address.
    assert "guardian" not in response.url and "example.com" not in response.url
    page = client.get(response.url).content.decode()
    assert (
        f"We have sent your message to the study team at {site.facility}. A copy is on its way to guardian@example.com."
        in page
    )
    assert "What happens next" in page


def test_the_same_form_sent_twice_makes_one_message(client, trials_data, url):
    site = shipped_site()
    page = client.get(url).content.decode()
    submission_id = re.search(r'name="submission_id" value="([^"]+)"', page).group(1)
    first = client.post(url, good_data(site, submission_id=submission_id))
    again = client.post(url, good_data(site, submission_id=submission_id))
    assert first.status_code == again.status_code == 302
    assert again.url == first.url
    assert ContactMessage.objects.count() == 1
    assert DBTaskResult.objects.count() == 1
    # A new form (a new id) is a new message.
    client.post(url, good_data(site, submission_id="another-form"))
    assert ContactMessage.objects.count() == 2


def test_the_sent_page_refuses_a_forged_token(client, trials_data):
    forged = signing.dumps(1, salt="something else")
    assert client.get(reverse("trial_contact_sent", args=[NCT, forged])).status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("phone", "12345", "country code"),
        ("phone", "+82 10", "does not look complete"),
        ("email", "not-an-email", "Please check the email address"),
        ("email", "a@example.com\r\nBcc: x@example.com", "Please check the email address"),
        ("first_name", "Kim\r\nBcc: victim@example.com", "without line breaks"),
        ("last_name", "x" * 101, "at most 100 characters"),
        ("message", "x" * 3001, "at most 3000 characters"),
        ("message", "", "This field is required"),
        ("consent", None, "Please tick this box"),
        ("site", None, "Please choose the study site"),
    ],
)
def test_bad_input_is_explained_beside_the_field_and_nothing_is_stored(
    client, trials_data, url, field, value, expected
):
    data = good_data(shipped_site(), **{field: value})
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert expected in html
    assert ContactMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    # What was typed is still there.
    assert "우리 아이가" in html or field == "message"


def test_consent_to_the_site_i_choose_covers_the_chosen_site(client, trials_data, url):
    # Without JavaScript the box reads "the site I choose": no consent_site.
    response = client.post(url, good_data(shipped_site(), consent_site=None))
    assert response.status_code == 302
    site = shipped_site()
    assert (
        ContactMessage.objects.get().consent_text
        == f"I agree that my details are sent to the study team at {site.facility}."
    )


def test_after_an_error_the_consent_box_names_the_chosen_site(client, trials_data, url):
    trial = Trial.objects.get(nct_id=NCT)
    first = shipped_site()
    other = Site.objects.create(
        trial=trial,
        facility="Another hospital",
        city="Daejeon",
        country="Korea, Republic of",
        team_email="t@example.org",
    )
    html = client.post(url, good_data(first, site=str(other.pk), consent=None)).content.decode()
    assert f'name="consent_site" value="{other.pk}"' in html
    assert "I agree that my details are sent to the study team at Another hospital." in html
    assert client.post(url, good_data(first, site=str(other.pk), consent_site=str(other.pk))).status_code == 302


def test_a_local_number_is_read_with_the_preferred_languages_country(client, trials_data, url):
    client.post(url, good_data(shipped_site(), phone="010-1234-5678", preferred_language="ko"))
    assert ContactMessage.objects.get().phone == "+82 10-1234-5678"


def test_consent_to_one_site_is_not_consent_to_another(client, trials_data, url):
    trial = Trial.objects.get(nct_id=NCT)
    first = shipped_site()
    other = Site.objects.create(
        trial=trial,
        facility="Another hospital",
        city="Daejeon",
        country="Korea, Republic of",
        team_email="t@example.org",
    )
    data = good_data(first, site=str(other.pk))  # consent_site still names the first site
    html = client.post(url, data).content.decode()
    assert "You chose a different study site" in html
    assert "I agree that my details are sent to the study team at Another hospital." in html
    assert ContactMessage.objects.count() == 0


def test_prescreen_summary_is_shown_and_stored_only_when_ticked(client, trials_data, url):
    summary = "Diagnosed before age 1: yes\nDown syndrome: no"
    html = client.post(
        url, {"from_prescreen": "1", "prescreen_summary": summary, "include_summary": "0"}
    ).content.decode()
    assert "Diagnosed before age 1: yes" in html
    assert "Include the summary of my answers" in html
    assert "checked" not in html.split('name="include_summary"')[1].split(">")[0]
    site = shipped_site()
    client.post(url, good_data(site, from_prescreen="1", prescreen_summary=summary))
    client.post(
        url, good_data(site, from_prescreen="1", prescreen_summary=summary, include_summary="on", email="b@example.com")
    )
    stored = list(ContactMessage.objects.order_by("pk").values_list("prescreen_summary", flat=True))
    assert stored == ["", summary]


def test_prescreen_choice_to_include_is_kept(client, trials_data, url):
    # The pre-screener posts its summary only when the guardian ticked "include" there.
    for extra in ({"include_summary": "1"}, {}):
        html = client.post(url, {"from_prescreen": "1", "prescreen_summary": "x: yes", **extra}).content.decode()
        assert "checked" in html.split('name="include_summary"')[1].split(">")[0]
    # Without a summary there is nothing to show or include.
    html = client.post(url, {"from_prescreen": "1"}).content.decode()
    assert 'name="include_summary"' not in html


def test_honeypot_blocks_and_stores_nothing(client, trials_data, url):
    response = client.post(url, good_data(shipped_site(), website="http://spam.example"))
    assert response.status_code == 400
    assert "We could not send this message just now" in response.content.decode()
    assert ContactMessage.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_rate_limit_per_client_address(client, trials_data, url, settings):
    settings.CONTACT_RATE_LIMIT = 2
    site = shipped_site()
    codes = [client.post(url, good_data(site, email=f"p{n}@example.com")).status_code for n in range(3)]
    assert codes == [302, 302, 429]
    assert ContactMessage.objects.count() == 2
    # Another address is not affected.
    other = client.post(url, good_data(site, email="p9@example.com"), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_rate_limit_per_email_address(client, trials_data, url, settings):
    settings.CONTACT_RATE_LIMIT = 1
    site = shipped_site()
    assert client.post(url, good_data(site), REMOTE_ADDR="10.0.0.1").status_code == 302
    blocked = client.post(url, good_data(site, email="GUARDIAN@example.com"), REMOTE_ADDR="10.0.0.2")
    assert blocked.status_code == 429
    assert "Too many messages" in blocked.content.decode()
    assert "우리 아이가" in blocked.content.decode()
    assert ContactMessage.objects.count() == 1


def test_rate_limit_uses_the_proxy_header(client, trials_data, url, settings):
    settings.CONTACT_RATE_LIMIT = 1
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    site = shipped_site()
    first = client.post(url, good_data(site, email="a@example.com"), HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5")
    second = client.post(url, good_data(site, email="b@example.com"), HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5")
    third = client.post(url, good_data(site, email="c@example.com"), HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert [first.status_code, second.status_code, third.status_code] == [302, 429, 302]


def test_csrf_is_required(trials_data, url):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(url, good_data(shipped_site()))
    assert response.status_code == 403
    assert ContactMessage.objects.count() == 0


def test_the_page_works_in_korean(client, trials_data):
    html = client.get(reverse("trial_contact", args=[NCT]).replace("/trials/", "/ko/trials/", 1)).content.decode()
    assert '<html lang="ko">' in html


def test_unknown_trial_is_404(client, trials_data):
    assert client.get(reverse("trial_contact", args=["NCT00000000"])).status_code == 404
