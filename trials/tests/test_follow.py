"""Following a trial: the form (in Korean and Chinese), the honeypot, the shared rate limits, double
opt-in, signing up again, the 7-day purge, the signed links, and the admin's counts and addresses.

Emails go through the real task worker (db_worker) into Django's outbox; the
alerts themselves are tested in test_alerts.py, and in a real browser in
test_follow_browser.py.
"""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from trials.models import Alert, ContactMessage, Follow, Follower, FollowerEmail, Site
from trials.tests.answers import LEUKEMIA_FIT
from trials.tests.staff import staff_login

# The worker (db_worker) closes the database connection, which ends a test's wrapping transaction on
# PostgreSQL: tests that run it commit for real (and cost a flush); the others do not need to.
with_worker = pytest.mark.django_db(transaction=True)

NCT = "NCT06516679"
OTHER = "NCT05303727"


def run_worker():
    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)


def sign_up(
    client, nct_id=NCT, *, email="mina@example.com", language="ko", follow=("trial",), prefix="/ko", website="", **meta
):
    """Posts the form as a browser would; `meta` are request headers (REMOTE_ADDR, HTTP_ORIGIN)."""
    data = {"action": "follow", "email": email, "language": language, "follow": list(follow), "website": website}
    return client.post(f"{prefix}/trials/{nct_id}/follow/", data, **meta)


def links_in(message) -> list[str]:
    return re.findall(r"https?://\S+/", message.body)


def confirm_link(message) -> str:
    return next(link for link in links_in(message) if "/follow/confirm/" in link)


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# ---------------------------------------------------------------------------
# The form


@pytest.mark.django_db
def test_the_form_is_on_the_trial_page_and_on_the_pre_screen_result(client, trials_data, frozen_today):
    page = client.get(f"/zh-hans/trials/{NCT}/").content.decode()
    assert f'action="/zh-hans/trials/{NCT}/follow/"' in page
    assert '<option value="zh-hans" lang="zh-hans" selected>简体中文</option>' in page  # the page's language
    assert 'name="follow" value="trial"' in page and 'name="follow" value="condition"' in page
    assert 'name="website"' in page  # the contact form's honeypot
    assert 'name="csrfmiddlewaretoken"' not in page  # a cached page carries nobody's token

    result = client.post("/ko/screen/", {"step": "4", "action": "next", **LEUKEMIA_FIT}).content.decode()
    assert f'action="/ko/trials/{NCT}/follow/"' in result
    assert f'id="follow-{NCT}-email"' in result


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "email_problem", "choice_problem"),
    [
        (
            "/ko",
            "이메일 주소를 확인해 주세요. name@example.com과 같은 모양이어야 합니다.",
            "이 임상시험의 변경 소식과 같은 병의 새 임상시험 소식 중 하나 이상을 골라 주세요.",
        ),
        (
            "/zh-hans",
            "请检查电子邮件地址。它的格式应该像 name@example.com。",
            "请至少勾选一项：这项试验的变化，或同一疾病的新试验。",
        ),
    ],
)
def test_bad_input_is_explained_in_the_guardians_language_and_nothing_is_lost(
    client, trials_data, prefix, email_problem, choice_problem
):
    response = sign_up(client, email="민준 at example", language="zh-hans", follow=(), prefix=prefix)
    assert response.status_code == 200
    body = text(response)
    assert email_problem in body and choice_problem in body
    html = response.content.decode()
    assert 'value="민준 at example"' in html  # what was typed is still there
    assert '<option value="zh-hans" lang="zh-hans" selected>' in html
    assert 'aria-invalid="true" aria-describedby="follow-NCT06516679-email-error"' in html
    assert 'id="error-summary"' in html and f'href="#follow-{NCT}-email"' in html
    assert not Follower.objects.exists() and not FollowerEmail.objects.exists()

    response = sign_up(client, email="minjun@example.com", follow=("trial", "nonsense"), prefix=prefix)
    assert choice_problem in text(response)
    assert 'value="minjun@example.com"' in response.content.decode()
    assert not Follower.objects.exists()


@pytest.mark.django_db
def test_switching_language_on_the_form_page_keeps_what_was_typed(client, trials_data):
    response = client.post(
        f"/zh-hans/trials/{NCT}/follow/",
        {"action": "language", "email": "mina@example.com", "language": "ko", "follow": ["condition"]},
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'lang="zh-hans"' in html
    assert 'value="mina@example.com"' in html and '<option value="ko" lang="ko" selected>' in html
    assert re.search(r'value="condition"[^>]*checked', html)
    assert not Follower.objects.exists()


@pytest.mark.django_db
def test_the_honeypot_refuses_and_stores_nothing(client, trials_data):
    response = sign_up(client, website="http://spam.example")
    assert response.status_code == 400
    assert "이 칸은 비워 두세요." in text(response)
    assert not Follower.objects.exists() and not FollowerEmail.objects.exists()


@pytest.mark.django_db
def test_another_sites_page_cannot_sign_anyone_up(client, trials_data):
    response = sign_up(client, HTTP_ORIGIN="https://elsewhere.example")
    assert response.status_code == 403
    assert not Follower.objects.exists()
    assert sign_up(client, HTTP_ORIGIN="http://testserver").status_code == 302


@pytest.mark.django_db
def test_sign_ups_and_contact_messages_share_one_rate_limit(client, trials_data, settings):
    """The contact form's counters, per client address and per mailbox, count both."""
    settings.CONTACT_RATE_LIMIT = 3
    site = Site.objects.get(trial__nct_id=NCT)
    url = f"/trials/{NCT}/contact/"
    key = client.get(url).content.decode().split('name="submission_id" value="')[1].split('"')[0]
    message = {
        "action": "send",
        "submission_id": key,
        "relationship": "parent",
        "first_name": "Mina",
        "last_name": "Park",
        "email": "mina@example.com",
        "phone": "+82 10-1234-5678",
        "preferred_language": "ko",
        "site": site.pk,
        "consent_site": site.pk,
        "consent": "on",
        "message": "Hello",
    }
    assert client.post(url, message).status_code == 302  # 1: a message
    assert sign_up(client, email="mina@example.com").status_code == 302  # 2
    assert sign_up(client, email="MINA+alerts@example.com").status_code == 302  # 3: the same mailbox
    # The mailbox is full, even from another connection...
    blocked = sign_up(client, email="mina@example.com", REMOTE_ADDR="10.0.0.2")
    assert blocked.status_code == 429
    assert "신청이 너무 많이 왔어요" in text(blocked)
    assert 'value="mina@example.com"' in blocked.content.decode()
    # ...and so is the connection, for another address; a third connection with it is fine.
    assert sign_up(client, email="other@example.com").status_code == 429
    assert sign_up(client, email="other@example.com", REMOTE_ADDR="10.0.0.3").status_code == 302
    assert ContactMessage.objects.count() == 1
    assert set(Follower.objects.values_list("email", flat=True)) == {
        "mina@example.com",
        "mina+alerts@example.com",
        "other@example.com",
    }


# ---------------------------------------------------------------------------
# Double opt-in


@with_worker
def test_nothing_is_sent_until_the_guardian_confirms(client, live_trials):
    response = sign_up(client, email="Mina@Example.com", follow=("trial", "condition"))
    assert response.status_code == 302
    sent_page = client.get(response["Location"])
    assert "mina@example.com" in text(sent_page)  # to the browser that typed it
    assert "no-store" in sent_page["Cache-Control"]  # pages with an address are never kept by a cache
    follower = Follower.objects.get()
    assert (follower.email, follower.language) == ("mina@example.com", "ko")
    assert sorted(follower.follows.values_list("kind", "confirmed_at")) == [("condition", None), ("trial", None)]

    run_worker()
    assert len(mail.outbox) == 1
    ask = mail.outbox[0]
    assert ask.to == ["mina@example.com"]
    assert "/ko/follow/confirm/" in confirm_link(ask)
    assert ask.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not FollowerEmail.objects.exists()  # sent, so deleted: it cannot go out twice

    # A change accepted now tells nobody: the follow is not confirmed.
    from trials.alerts import alerts_record

    trial = follower.follows.first().trial
    assert alerts_record(trial=trial, kind=Alert.Kind.CHANGED, changes=[]) == 0

    link = path_of(confirm_link(ask))
    page = client.get(link)  # opening the link (a mail scanner does this too) confirms nothing
    assert page.status_code == 200 and "mina@example.com" in text(page)
    assert "no-store" in page["Cache-Control"]
    assert not Follow.objects.confirmed().exists()
    client.post(link, {"action": "confirm"})
    assert Follow.objects.confirmed().count() == 2
    assert client.get(link).status_code == 200  # the link again: "your alerts are on"
    run_worker()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_sent_page_shows_the_address_only_to_the_browser_that_typed_it(client, trials_data):
    from django.test import Client

    location = sign_up(client)["Location"]
    assert "mina@example.com" in text(client.get(location))
    assert "mina" not in location
    stranger = text(Client().get(location))
    assert "mina@example.com" not in stranger


@with_worker
def test_signing_up_again_reveals_nothing_and_makes_no_duplicates(client, live_trials):
    first = sign_up(client, email="mina@example.com", follow=("trial", "condition"))
    run_worker()
    client.post(path_of(confirm_link(mail.outbox[0])), {"action": "confirm"})

    # Later, someone who does not know this address is signed up tries it (another case, another browser).
    from django.test import Client

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        again = sign_up(Client(), email="MINA@example.com", follow=("trial", "condition"))
        unknown = sign_up(Client(), email="nobody@example.com", follow=("trial", "condition"))
    assert again.status_code == unknown.status_code == first.status_code == 302
    assert re.sub(r"/sent/[^/]+/", "/sent/T/", again["Location"]) == re.sub(
        r"/sent/[^/]+/", "/sent/T/", unknown["Location"]
    )
    assert text(Client().get(again["Location"])) == text(Client().get(unknown["Location"]))

    assert Follower.objects.filter(email="mina@example.com").count() == 1
    assert Follow.objects.filter(follower__email="mina@example.com").count() == 2
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        run_worker()
    # Only the mailbox's owner learns the address was known: the email says so, and asks nothing.
    by_address = {message.to[0]: message for message in mail.outbox[1:]}
    assert "이 주소는 이미 알림을 받고 있으니" in by_address["mina@example.com"].body
    assert "/follow/confirm/" not in "".join(links_in(by_address["mina@example.com"]))
    assert "/follow/confirm/" in confirm_link(by_address["nobody@example.com"])


@with_worker
def test_a_double_tap_sends_one_email(client, live_trials):
    sign_up(client)
    sign_up(client)
    run_worker()
    assert len(mail.outbox) == 1
    # A new choice is a new request.
    sign_up(client, follow=("trial", "condition"))
    run_worker()
    assert len(mail.outbox) == 2


@with_worker
def test_unconfirmed_sign_ups_are_deleted_after_7_days(client, live_trials):
    sign_up(client, email="waits@example.com")
    sign_up(client, email="confirms@example.com")
    run_worker()
    link = next(confirm_link(m) for m in mail.outbox if m.to == ["confirms@example.com"])
    client.post(path_of(link), {"action": "confirm"})
    # The confirmed address also asked about another trial, and never confirmed that.
    sign_up(client, OTHER, email="confirms@example.com")

    out = io.StringIO()
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        call_command("purge_followers", stdout=out)
    assert "Deleted 0 unconfirmed sign-up(s)" in out.getvalue()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        call_command("purge_followers", stdout=out)
        expired = client.get(path_of(next(confirm_link(m) for m in mail.outbox if m.to == ["waits@example.com"])))
    assert "Deleted 2 unconfirmed sign-up(s) older than 7 days, and 1 address(es)" in out.getvalue()
    assert list(Follower.objects.values_list("email", flat=True)) == ["confirms@example.com"]
    assert [(f.trial.nct_id, f.confirmed_at is not None) for f in Follow.objects.all()] == [(NCT, True)]
    assert expired.status_code == 410


# ---------------------------------------------------------------------------
# Signed links


@with_worker
def test_tampered_and_expired_links_are_refused_kindly(client, live_trials):
    sign_up(client)
    run_worker()
    link = path_of(confirm_link(mail.outbox[0]))
    tampered = link.replace("/confirm/", "/confirm/x")
    response = client.get(tampered)
    assert response.status_code == 400
    assert "링크" in text(response) and "Traceback" not in text(response)
    assert client.post(tampered).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.post(link, {"action": "confirm"})
    assert response.status_code == 410 and "7" in text(response)
    assert not Follow.objects.confirmed().exists()

    stop = path_of(mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>"))
    bad_stop = stop[:-6] + "AAAAA/"
    for method in (client.get, client.post):
        response = method(bad_stop)
        assert response.status_code == 400 and "help@example.org" in text(response)
    assert Follower.objects.exists()
    # A link for an address already gone says there is nothing to stop.
    Follower.objects.all().delete()
    assert client.get(stop).status_code == 200
    assert client.post(stop, {"List-Unsubscribe": "One-Click"}).status_code == 200


# ---------------------------------------------------------------------------
# The admin


@pytest.fixture
def followed(client, live_trials):
    """Two confirmed followers and one waiting, on the leukemia trial."""
    for email in ("one@example.com", "two@example.com", "three@example.com"):
        sign_up(client, email=email, follow=("trial", "condition") if email == "one@example.com" else ("trial",))
    run_worker()
    for message in mail.outbox:
        if message.to != ["three@example.com"]:
            client.post(path_of(confirm_link(message)), {"action": "confirm"})
    client.logout()


@with_worker
def test_staff_see_counts_but_never_addresses_without_the_permission(client, followed):
    users = get_user_model().objects
    editor = users.create_user("editor", password="a-long-password-1", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="view_trial"))
    boss = users.create_superuser("boss", "boss@example.org", "a-long-password-1")

    for user in (editor, boss):
        staff_login(client, user)
        page = client.get("/admin/trials/trialfollowing/")
        assert page.status_code == 200
        row = re.search(rf"<tr>.*?{NCT}.*?</tr>", page.content.decode(), re.S).group(0)
        assert [int(n) for n in re.findall(r'<td class="field-[a-z_]+">(\d+)</td>', row)] == [2, 1, 1, 0]
        assert "@example.com" not in page.content.decode()
        assert client.get("/admin/trials/follower/").status_code == 403
        assert "trials/follower/" not in client.get("/admin/").content.decode()

    # The permission made for it, through the group setup_roles makes.
    call_command("setup_roles", member="editor", addresses=True, stdout=io.StringIO())
    staff_login(client, editor)
    page = client.get("/admin/trials/trialfollowing/").content.decode()
    assert "See the addresses" in page
    listing = client.get(f"/admin/trials/follower/?follows__trial__id__exact={followed_trial_id()}").content.decode()
    assert {"one@example.com", "two@example.com", "three@example.com"} <= set(re.findall(r"\w+@example\.com", listing))
    assert not editor.groups.filter(name="Study team").exists()  # seeing addresses is not a study-team role


def followed_trial_id() -> int:
    return Follow.objects.filter(trial__nct_id=NCT).values_list("trial_id", flat=True).first()


@with_worker
def test_an_address_is_erased_on_request_with_everything_kept_with_it(client, followed):
    officer = get_user_model().objects.create_user("officer", password="a-long-password-1", is_staff=True)
    call_command("setup_roles", member="officer", addresses=True, stdout=io.StringIO())
    staff_login(client, officer)
    follower = Follower.objects.get(email="one@example.com")
    response = client.post(
        "/admin/trials/follower/", {"action": "delete_selected", "_selected_action": [follower.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Follower.objects.filter(email="one@example.com").exists()
    assert not Follow.objects.filter(follower_id=follower.pk).exists()
