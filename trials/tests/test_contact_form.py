"""The contact page: sites by distance, validation, consent, the submission key, limits, and the sent page."""

import re
import threading
from html import unescape

import pytest
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from trials.models import ContactMessage, Site, Trial

NCT = "NCT06516679"


@pytest.fixture
def url():
    return reverse("trial_contact", args=[NCT])


def shipped_site(nct_id=NCT):
    return Site.objects.get(trial__nct_id=nct_id)


def form_key(client, url) -> str:
    """The submission key the server made for this browser's form."""
    page = client.get(url).content.decode()
    return re.search(r'name="submission_id" value="([^"]+)"', page).group(1)


def good_data(chosen, **changes):
    data = {
        "action": "send",
        "relationship": "parent",
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


def send(client, url, chosen, **changes):
    """Posts a filled-in form the way a browser does: with the key its page carried."""
    meta = {key: changes.pop(key) for key in list(changes) if key.isupper()}  # REMOTE_ADDR and headers
    changes.setdefault("submission_id", form_key(client, url))
    return client.post(url, good_data(chosen, **changes), **meta)


def labels_of(html: str) -> list[str]:
    return [
        unescape(re.sub(r"<[^>]+>|\*", "", text)).strip()
        for text in re.findall(r"<(?:label|legend)[^>]*>(.*?)</(?:label|legend)>", html, re.S)
    ]


def test_the_page_lists_the_fields_and_makes_no_silent_choice(client, trials_data, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    labels = labels_of(html)
    for label in [
        "You are writing as",
        "Parent",
        "Other family member",
        "Legal guardian",
        "The patient",
        "First name",
        "Family name",
        "Email",
        "Phone number",
        "Preferred language",
        "Your child's age (optional)",
        "Your location",
        "Study site",
        "Message",
    ]:
        assert label in labels, label
    assert labels.index("First name") < labels.index("Family name")
    assert "I agree that my details are sent to the study team at the site I choose." in labels
    assert shipped_site().facility in html
    assert "Recruiting status not known" in html
    assert "checked" not in html.split('name="site"')[1].split(">")[0]
    assert "None of these sites is known to be recruiting" in html
    # How the team is reached, said the same way as on the trial page: no direct contact.
    assert "We do not have a direct phone number or a named contact person" in html


@pytest.mark.parametrize(("prefix", "family", "given"), [("/ko", "성", "이름"), ("/zh-hans", "姓", "名")])
def test_korean_and_chinese_pages_ask_the_family_name_first(client, trials_data, prefix, family, given):
    labels = labels_of(client.get(f"{prefix}/trials/{NCT}/contact/").content.decode())
    assert labels.index(family) < labels.index(given)


def test_find_sites_near_a_place_keeps_what_was_typed(client, trials_data, url):
    response = client.post(url, {"action": "find", "location": "부산", "first_name": "민준", "message": "안녕하세요"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Busan, South Korea" in html
    assert "about 3" in html and "km away" in html  # Seoul is about 320 km from Busan
    assert 'value="민준"' in html
    assert "안녕하세요" in html
    assert "This field is required" not in html


def test_a_link_never_fills_in_personal_data(client, trials_data, url):
    html = client.get(url, {"first_name": "Planted", "email": "x@example.com", "location": "Busan"}).content.decode()
    assert "Planted" not in html and "x@example.com" not in html
    assert "Busan, South Korea" in html  # the place is not personal: a link may carry it


@pytest.mark.parametrize(
    ("prefix", "china", "korea"),
    [
        ("", "Guangzhou, China", "Gwangju, South Korea"),
        ("/zh-hans", "广州（中国）", "广州（韩国）"),
        ("/ko", "광저우 (중국)", "광주 (대한민국)"),
    ],
)
def test_an_ambiguous_place_offers_candidates_in_the_pages_language(client, trials_data, prefix, china, korea):
    html = client.post(f"{prefix}/trials/{NCT}/contact/", {"action": "find", "location": "廣州"}).content.decode()
    assert china in html and korea in html
    buttons = re.findall(r'<button type="submit" name="place" value="(\d+)"[^>]*>([^<]+)</button>', html)
    assert [label for _id, label in buttons] == [china, korea]


def test_a_chosen_place_stays_a_place_name_and_is_sent_with_the_message(client, trials_data, url):
    html = client.post(url, {"action": "find", "location": "廣州"}).content.decode()
    korea_id = {label: pk for pk, label in re.findall(r'name="place" value="(\d+)"[^>]*>([^<]+)<', html)}[
        "Gwangju, South Korea"
    ]
    chosen = client.post(url, {"action": "find", "location": "廣州", "place": korea_id}).content.decode()
    assert 'value="Gwangju, South Korea"' in chosen  # the box now holds the place's name
    assert "Sites nearest to <strong>Gwangju, South Korea</strong>" in chosen
    assert not re.search(r"\d+\.\d{3,},\d+\.\d{3,}", chosen)  # no raw coordinates anywhere
    carried = re.search(r'name="chosen_place" value="(\d+)"', chosen).group(1)
    response = send(client, url, shipped_site(), location="Gwangju, South Korea", chosen_place=carried)
    assert response.status_code == 302
    message = ContactMessage.objects.get()
    assert message.location_text == "Gwangju, South Korea"
    assert message.latitude == pytest.approx(37.41, abs=0.01)  # Gwangju-si in Gyeonggi, not the city in the south


def test_device_coordinates_become_the_nearest_place_rounded_to_a_kilometre(client, trials_data, url):
    html = client.post(url, {"action": "find", "location": "35.15812,129.16034"}).content.decode()
    assert "35.15812" not in html and "129.16034" not in html
    place = re.search(r'id="id_location"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*id="id_location"', html
    )
    assert place.group(1).endswith(", South Korea") and not re.search(r"\d", place.group(1))
    response = send(client, url, shipped_site(), location="35.15812,129.16034")
    assert response.status_code == 302
    message = ContactMessage.objects.get()
    assert message.location_text == place.group(1)
    assert message.latitude == round(message.latitude, 2) and message.longitude == round(message.longitude, 2)


def test_a_family_abroad_is_told_what_we_do_not_know_about_joining_from_another_country(client, trials_data, url):
    assert (
        "These hospitals are in another country"
        in client.post(url, {"action": "find", "location": "London, United Kingdom"}).content.decode()
    )
    assert (
        "These hospitals are in another country"
        not in client.post(url, {"action": "find", "location": "Busan"}).content.decode()
    )


def test_an_unknown_place_says_so_and_still_lists_the_sites(client, trials_data, url):
    html = client.post(url, {"action": "find", "location": "Qqqzzz town"}).content.decode()
    assert "We could not find this place" in html
    assert shipped_site().facility in html


def test_nearest_recruiting_site_is_the_default(client, trials_data, url):
    trial = Trial.objects.get(nct_id=NCT)
    common = {"trial": trial, "country": "Testland", "team_email": "team@example.org"}
    near = Site.objects.create(
        facility="Near, not recruiting", city="A", latitude=35.2, longitude=129.1, status="NOT_YET_RECRUITING", **common
    )
    recruiting = Site.objects.create(
        facility="Farther, recruiting", city="B", latitude=36.3, longitude=127.4, status="RECRUITING", **common
    )
    html = client.get(url, {"location": "Busan"}).content.decode()
    radio = re.search(rf'<input[^>]*id="site-{recruiting.pk}"[^>]*>', html, re.S).group(0)
    assert "checked" in radio
    assert html.count("checked") == 1
    assert "I agree that my details are sent to the study team at Farther, recruiting." in html
    assert html.index(f'id="site-{near.pk}"') < html.index(f'id="site-{recruiting.pk}"')


def test_a_valid_message_is_stored_normalised_queued_and_redirects(client, trials_data, url):
    site = shipped_site()
    response = send(client, url, site, phone="010-1234-5678 ext. 123", child_age="8", child_age_unit="months")
    assert response.status_code == 302
    message = ContactMessage.objects.get()
    assert (message.first_name, message.last_name, message.site, message.language) == ("민준", "김", site, "en")
    assert (message.phone, message.phone_extension) == ("+821012345678", "123")
    assert (message.relationship, message.child_age, message.child_age_unit) == ("parent", 8, "months")
    assert message.location_text == "부산" and message.latitude == pytest.approx(35.1, abs=0.2)
    assert message.consent_text == f"I agree that my details are sent to the study team at {site.facility}."
    assert re.fullmatch(r"TF-[2-9A-Z]{4}-[2-9A-Z]{4}", message.reference)
    task = DBTaskResult.objects.get()
    assert task.task_path == "trials.tasks.deliver_contact_message"
    assert task.args_kwargs["args"] == [message.pk]
    assert "guardian" not in response.url and "example.com" not in response.url
    page = client.get(response.url).content.decode()
    assert f"We are sending your message to the study team at {site.facility}." in page
    assert "A copy is on its way to guardian@example.com." in page
    assert message.reference in page
    assert "+82 10-1234-5678 ext. 123 (South Korea)" in page
    assert "We cannot promise when they will reply." in page
    assert "help@example.org" in page  # what to do when no reply comes


def test_the_sent_page_shows_the_address_only_to_the_browser_that_sent_it(client, trials_data, url):
    response = send(client, url, shipped_site())
    stranger = Client().get(response.url).content.decode()
    assert "guardian@example.com" not in stranger and "1234-5678" not in stranger
    assert ContactMessage.objects.get().reference in stranger
    assert "A copy is on its way to the email address you gave." in stranger


def test_the_same_form_sent_twice_makes_one_message(client, trials_data, url):
    site = shipped_site()
    key = form_key(client, url)
    first = client.post(url, good_data(site, submission_id=key))
    again = client.post(url, good_data(site, submission_id=key, message="Edited after Back"))
    assert first.status_code == again.status_code == 302
    assert again.url == first.url
    assert ContactMessage.objects.count() == 1 and DBTaskResult.objects.count() == 1
    # A new form is a new message.
    send(client, url, site, message="A second question")
    assert ContactMessage.objects.count() == 2


def test_back_then_send_again_makes_one_message(client, trials_data, url):
    # After Back, the reloaded page carries a new key; the same text to the same team is the same message.
    site = shipped_site()
    first = send(client, url, site)
    again = send(client, url, site)
    assert again.url == first.url
    assert ContactMessage.objects.count() == 1


def test_a_key_planted_in_a_link_is_never_used(client, trials_data, url):
    html = client.get(url, {"submission_id": "planted"}).content.decode()
    assert 'value="planted"' not in html


def test_a_foreign_key_is_refused_kindly_and_nothing_is_lost(client, trials_data, url):
    site = shipped_site()
    attacker = Client()
    attacker_key = form_key(attacker, url)
    attacker.post(url, good_data(site, submission_id=attacker_key, email="eve@example.net", message="Eve's message"))
    # The victim's form arrives carrying the attacker's key (a planted link, an injected page).
    response = client.post(url, good_data(site, submission_id=attacker_key))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This form had expired" in html
    assert "eve@example.net" not in html and "Eve&#x27;s message" not in html
    assert 'value="민준"' in html and "우리 아이가" in html
    fresh = re.search(r'name="submission_id" value="([^"]+)"', html).group(1)
    assert fresh != attacker_key
    assert client.post(url, good_data(site, submission_id=fresh)).status_code == 302
    assert sorted(ContactMessage.objects.values_list("email", flat=True)) == ["eve@example.net", "guardian@example.com"]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the in-memory SQLite test database takes one writing thread at a time"
)
@pytest.mark.django_db(transaction=True)
def test_two_posts_of_one_form_at_the_same_moment_make_one_message(live_trials, url):
    site = shipped_site()
    browser = Client()
    data = good_data(site, submission_id=form_key(browser, url))
    barrier, answers = threading.Barrier(2), []

    def post():
        barrier.wait()
        answers.append(browser.post(url, data))
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [302, 302]
    assert answers[0].url == answers[1].url
    assert ContactMessage.objects.count() == 1 and DBTaskResult.objects.count() == 1


def test_the_sent_page_refuses_a_forged_token(client, trials_data):
    forged = signing.dumps(1, salt="something else")
    assert client.get(reverse("trial_contact_sent", args=[NCT, forged])).status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("phone", "12345", "country code"),
        ("phone", "+82 10", "does not look complete"),
        ("phone", "+821012345678 ext. 12345678901", "at most 10 digits"),
        ("email", "not-an-email", "Please check the email address"),
        ("email", "a@example.com\r\nBcc: x@example.com", "Please check the email address"),
        ("email", '"x@evil.test"@guardian.test', "Please check the email address"),
        ("first_name", "Kim\r\nBcc: victim@example.com", "without line breaks"),
        ("last_name", "x" * 101, "at most 100 characters"),
        ("first_name", "\ufb2c" * 34, "at most 100 characters"),  # 34 characters that become 102
        ("location", "\ufb2c" * 70, "at most 200 characters"),
        ("message", "x" * 3001, "at most 3000 characters"),
        ("message", "", "This field is required"),
        ("relationship", None, "Please tell us who is writing"),
        ("child_age", "eight", "whole number"),
        ("consent", None, "Please tick this box"),
        ("site", None, "Please choose the study site"),
    ],
)
def test_bad_input_is_explained_at_the_top_and_beside_the_field_and_nothing_is_stored(
    client, trials_data, url, field, value, expected
):
    response = send(client, url, shipped_site(), **{field: value})
    html = response.content.decode()
    assert response.status_code == 200
    summary = re.search(r'<div class="error-summary"[^>]*autofocus>.*?</div>', html, re.S).group(0)
    assert expected in summary
    anchor = re.search(r'<a href="#([^"]+)">', summary).group(1)
    assert f'id="{anchor}"' in html  # each error links to its field
    assert ContactMessage.objects.count() == 0 and DBTaskResult.objects.count() == 0
    assert "우리 아이가" in html or field == "message"


def test_an_internationalised_domain_is_stored_in_idna_form(client, trials_data, url):
    assert send(client, url, shipped_site(), email="x@例え.jp").status_code == 302
    assert ContactMessage.objects.get().email == "x@xn--r8jz45g.jp"


def test_consent_to_the_site_i_choose_covers_the_chosen_site(client, trials_data, url):
    response = send(client, url, shipped_site(), consent_site=None)
    assert response.status_code == 302
    site = shipped_site()
    assert (
        ContactMessage.objects.get().consent_text
        == f"I agree that my details are sent to the study team at {site.facility}."
    )


def another_site():
    trial = Trial.objects.get(nct_id=NCT)
    return Site.objects.create(
        trial=trial,
        facility="Another hospital",
        city="Daejeon",
        country="Korea, Republic of",
        team_email="t@example.org",
        team_email_verified=True,
    )


def test_after_an_error_the_consent_box_names_the_chosen_site(client, trials_data, url):
    first, other = shipped_site(), another_site()
    html = send(client, url, first, site=str(other.pk), consent=None).content.decode()
    assert f'name="consent_site" value="{other.pk}"' in html
    assert "I agree that my details are sent to the study team at Another hospital." in html
    assert send(client, url, first, site=str(other.pk), consent_site=str(other.pk)).status_code == 302


def test_consent_to_one_site_is_not_consent_to_another(client, trials_data, url):
    first, other = shipped_site(), another_site()
    html = send(client, url, first, site=str(other.pk)).content.decode()  # consent_site still names the first
    assert "You chose a different study site" in html
    assert ContactMessage.objects.count() == 0


def test_a_local_number_is_read_with_the_country_of_the_guardians_place(client, trials_data):
    # A Chinese-speaking parent in Korea, on the Chinese page, types a Korean mobile number.
    url = f"/zh-hans/trials/{NCT}/contact/"
    assert send(client, url, shipped_site(), phone="010-1234-5678", preferred_language="zh-hans").status_code == 302
    assert ContactMessage.objects.get().phone == "+821012345678"


def test_without_a_place_a_local_number_is_read_with_the_sites_country(client, trials_data):
    site = shipped_site("NCT05303727")  # Guangzhou
    url = reverse("trial_contact", args=["NCT05303727"])
    send(client, url, site, location="", phone="138 1234 5678", preferred_language="ko")
    assert ContactMessage.objects.get().phone == "+8613812345678"


def test_the_number_is_shown_back_as_understood(client, trials_data, url):
    html = send(client, url, shipped_site(), phone="010-1234-5678", consent=None).content.decode()
    assert "We read this number as <strong>+82 10-1234-5678, South Korea</strong>" in html


def test_prescreen_answers_and_result_are_stored_only_when_ticked(client, trials_data, url):
    summary = "Diagnosed before age 1: yes\nDown syndrome: no"
    outcome = "NCT06516679: more information needed"
    html = client.post(
        url, {"from_prescreen": "1", "prescreen_summary": summary, "prescreen_outcome": outcome, "include_summary": "0"}
    ).content.decode()
    assert "Diagnosed before age 1: yes" in html and outcome in html
    assert "checked" not in html.split('name="include_summary"')[1].split(">")[0]
    site = shipped_site()
    extra = {"from_prescreen": "1", "prescreen_summary": summary, "prescreen_outcome": outcome}
    send(client, url, site, **extra)
    send(client, url, site, **extra, include_summary="on", email="b@example.com")
    stored = list(ContactMessage.objects.order_by("pk").values_list("prescreen_summary", "prescreen_outcome"))
    assert stored == [("", ""), (summary, outcome)]


def test_prescreen_choice_to_include_is_kept(client, trials_data, url):
    for extra in ({"include_summary": "1"}, {}):
        html = client.post(url, {"from_prescreen": "1", "prescreen_summary": "x: yes", **extra}).content.decode()
        assert "checked" in html.split('name="include_summary"')[1].split(">")[0]
    html = client.post(url, {"from_prescreen": "1"}).content.decode()
    assert 'name="include_summary"' not in html


def test_honeypot_blocks_and_stores_nothing_with_its_own_words(client, trials_data, url):
    response = send(client, url, shipped_site(), website="http://spam.example")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please leave this field empty." in html and "Too many messages" not in html
    assert ContactMessage.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_rate_limit_per_client_address(client, trials_data, url, settings):
    settings.CONTACT_RATE_LIMIT = 2
    site = shipped_site()
    codes = [send(client, url, site, email=f"p{n}@example.com", message=f"Q{n}").status_code for n in range(3)]
    assert codes == [302, 302, 429]
    assert ContactMessage.objects.count() == 2
    other = send(client, url, site, email="p9@example.com", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_rate_limit_per_mailbox_counts_case_and_plus_tags_together(client, trials_data, url, settings):
    settings.CONTACT_RATE_LIMIT = 2
    site = shipped_site()
    addresses = ["guardian@example.com", "GUARDIAN+a@Example.com", "guardian+b@example.com"]
    codes = [
        send(client, url, site, email=address, message=address, REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n, address in enumerate(addresses)
    ]
    assert codes == [302, 302, 429]
    blocked = send(client, url, site, email="guardian+c@example.com", REMOTE_ADDR="10.0.0.9").content.decode()
    assert "Too many messages" in blocked and "우리 아이가" in blocked


def test_rate_limit_survives_a_flood_of_the_page_cache(client, trials_data, url, settings):
    settings.CONTACT_RATE_LIMIT = 1
    site = shipped_site()
    assert send(client, url, site).status_code == 302
    for n in range(2000):  # far more than the page cache holds
        cache.set(f"page:flood:{n}", "x" * 100)
    assert send(client, url, site, message="again", email="other@example.com").status_code == 429


def test_rate_limit_uses_the_proxy_header(client, trials_data, url, settings):
    settings.CONTACT_RATE_LIMIT = 1
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    site = shipped_site()
    first = send(client, url, site, email="a@example.com", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5")
    second = send(client, url, site, email="b@example.com", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5")
    third = send(client, url, site, email="c@example.com", HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert [first.status_code, second.status_code, third.status_code] == [302, 429, 302]


def test_behind_a_proxy_without_the_header_only_the_mailbox_is_limited(client, trials_data, url, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # production: behind a proxy
    settings.CLIENT_IP_HEADER = ""
    settings.CONTACT_RATE_LIMIT = 1
    site = shipped_site()
    # Every guardian seems to come from the proxy's address; none blocks another.
    codes = [send(client, url, site, email=f"g{n}@example.com", message=f"Q{n}").status_code for n in range(4)]
    assert codes == [302] * 4
    assert send(client, url, site, email="g0@example.com", message="again").status_code == 429


def test_csrf_is_required(trials_data, url):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(url, good_data(shipped_site()))
    assert response.status_code == 403
    assert ContactMessage.objects.count() == 0


def test_the_page_works_in_korean(client, trials_data):
    html = client.get(f"/ko/trials/{NCT}/contact/").content.decode()
    assert '<html lang="ko">' in html


def test_unknown_trial_is_404(client, trials_data):
    assert client.get(reverse("trial_contact", args=["NCT00000000"])).status_code == 404
