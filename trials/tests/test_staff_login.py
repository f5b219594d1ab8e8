"""The admin's sign-in: a password (paused after wrong ones, django-axes), then a code from an
authenticator app (django-otp), and setting one up at the first sign-in."""

import io
import re
import time
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from trials.tests.staff import authenticator, code, staff_login

PASSWORD = "a-long-test-password-1"
LOGIN = "/admin/login/"
CODE_PAGE = "/admin/sign-in/code/"
NEW_APP_PAGE = "/admin/sign-in/new-app/"
INBOX = "/admin/trials/contactmessage/"


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    # These tests sign in dozens of times; the flow is under test here, not the password hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def coordinator(db):
    return get_user_model().objects.create_user("mina", "mina@hospital.example", PASSWORD, is_staff=True)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)


def password_step(client, username, password=PASSWORD, next_url="", **headers):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data, **headers)


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_every_admin_page_needs_the_code_as_well_as_the_password(client, superuser):
    authenticator(superuser)
    response = password_step(client, "root")
    assert response.status_code == 302 and response["Location"].startswith(CODE_PAGE)
    # Signed in with the password only: no admin page opens, each leads back to the code.
    for path in ["/admin/", INBOX, "/admin/trials/trial/", "/admin/auth/user/", "/admin/otp_totp/totpdevice/"]:
        page = client.get(path, follow=True)
        assert page.redirect_chain[-1][0].startswith(CODE_PAGE), path
        assert "Enter the code from your authenticator app" in text(page)


def test_a_password_and_the_right_code_open_the_page_that_was_asked_for(client, superuser):
    device = authenticator(superuser)
    first = client.get(INBOX)
    assert first.status_code == 302 and first["Location"].startswith(LOGIN)
    response = password_step(client, "root", next_url=INBOX)
    assert response["Location"] == f"{CODE_PAGE}?next=%2Fadmin%2Ftrials%2Fcontactmessage%2F"
    response = client.post(response["Location"], {"code": code(device), "next": INBOX})
    assert response.status_code == 302 and response["Location"] == INBOX
    assert client.get(INBOX).status_code == 200


def test_a_wrong_code_is_refused_and_each_one_makes_the_wait_longer(client, superuser):
    device = authenticator(superuser)
    password_step(client, "root")
    right = code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        refused = client.post(CODE_PAGE, {"code": wrong})
        assert refused.status_code == 200
        assert "That code is not right." in text(refused)
        assert client.get("/admin/").status_code == 302
        # At once, even the right code waits: django-otp's back-off.
        waiting = client.post(CODE_PAGE, {"code": code(device, at=time.time())})
        assert "Wait 1 second, then type the newest code." in text(waiting)
        clock.shift(timedelta(seconds=2))
        accepted = client.post(CODE_PAGE, {"code": code(device, at=time.time())})
    assert accepted.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "12 34 5", ""])
def test_a_code_of_the_wrong_shape_is_explained_and_not_counted_as_a_try(client, superuser, typed):
    device = authenticator(superuser)
    password_step(client, "root")
    response = text(client.post(CODE_PAGE, {"code": typed}))
    assert "Type the six digits that your app shows now." in response or "This field is required" in response
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_full_width_digits_and_spaces_from_a_phone_keyboard_count(client, superuser):
    device = authenticator(superuser)
    password_step(client, "root")
    right = code(device)
    typed = "".join(chr(ord(digit) + 0xFEE0) for digit in right[:3]) + " " + right[3:]  # "１２３ 456"
    assert client.post(CODE_PAGE, {"code": typed})["Location"] == "/admin/"


def test_a_code_works_once(client, superuser):
    device = authenticator(superuser)
    password_step(client, "root")
    used = code(device)
    assert client.post(CODE_PAGE, {"code": used}).status_code == 302
    client.post("/admin/logout/")
    password_step(client, "root")
    assert "That code is not right." in text(client.post(CODE_PAGE, {"code": used}))


def test_staff_without_an_app_are_led_to_set_one_up(client, coordinator):
    response = password_step(client, "mina")
    assert response["Location"].startswith(NEW_APP_PAGE)
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert 'src="data:image/svg+xml' in html  # the QR code, inside the page (CSP allows data: images)
    device = TOTPDevice.objects.get(user=coordinator)
    assert not device.confirmed
    key = re.search(r'class="otp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    assert f"secret={key}" in unescape(re.search(r'href="(otpauth://[^"]+)"', html).group(1))
    assert "issuer=TrialFinder" in html

    # Reloading keeps the same key, so a code scanned a moment ago still works.
    assert key in client.get(NEW_APP_PAGE).content.decode()
    assert "That code is not right." in text(client.post(NEW_APP_PAGE, {"code": "000000"}))
    device.refresh_from_db()
    with time_machine.travel(timezone.now() + timedelta(seconds=2), tick=False):
        done = client.post(NEW_APP_PAGE, {"code": code(device, at=time.time())}, follow=True)
    assert done.redirect_chain[-1][0] == "/admin/"
    assert "Your authenticator app is set up." in text(done)
    device.refresh_from_db()
    assert device.confirmed and TOTPDevice.objects.filter(user=coordinator).count() == 1


def test_a_password_alone_never_adds_an_app_to_an_account_that_has_one(client, coordinator):
    authenticator(coordinator)
    password_step(client, "mina")
    response = client.get(NEW_APP_PAGE)
    assert response.status_code == 302 and response["Location"].startswith(CODE_PAGE)
    assert client.post(NEW_APP_PAGE, {"code": "123456"})["Location"].startswith(CODE_PAGE)
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1


def test_the_code_pages_are_only_for_staff_halfway_through_signing_in(client, coordinator, superuser):
    assert client.get(CODE_PAGE)["Location"] == LOGIN
    assert client.get(NEW_APP_PAGE)["Location"] == LOGIN
    client.force_login(get_user_model().objects.create_user("guest", "", PASSWORD))  # not staff
    assert client.get(CODE_PAGE)["Location"] == LOGIN
    staff_login(client, superuser)
    assert client.get(CODE_PAGE)["Location"] == "/admin/"


@pytest.mark.parametrize("wanted", ["//evil.example/", "https://evil.example/admin/", "javascript:alert(1)"])
def test_the_next_address_never_leads_to_another_site(client, superuser, wanted):
    device = authenticator(superuser)
    response = password_step(client, "root", next_url=wanted)
    assert "evil" not in response["Location"] and "javascript" not in response["Location"]
    response = client.post(CODE_PAGE, {"code": code(device), "next": wanted})
    assert response["Location"] == "/admin/"


def test_use_another_account_signs_out(client, superuser):
    authenticator(superuser)
    password_step(client, "root")
    response = client.post(CODE_PAGE, {"cancel": "1"})
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_the_code_pages_speak_the_staff_members_language(client, coordinator):
    from trials.models import StaffLanguage

    StaffLanguage.objects.create(user=coordinator, language="ko")
    password_step(client, "mina")
    html = client.get(NEW_APP_PAGE).content.decode()
    assert '<html lang="ko"' in html and "인증 앱" in html


# ---------------------------------------------------------------------------
# Wrong passwords pause sign-in (django-axes)


def test_a_run_of_wrong_passwords_pauses_sign_in_even_for_the_right_password_until_the_cool_off(client, superuser):
    authenticator(superuser)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in range(4):
            response = password_step(client, "root", "wrong-password")
            assert response.status_code == 200, attempt
            assert "Please enter the correct username and password" in text(response)
        fifth = password_step(client, "root", "wrong-password")
        assert fifth.status_code == 429
        assert "Sign-in is paused after 5 wrong passwords. Try again in 15 minutes." in text(fifth)
        right = password_step(client, "root")
        assert right.status_code == 429 and "_auth_user_id" not in client.session
        clock.shift(timedelta(minutes=14))
        assert password_step(client, "root").status_code == 429
        clock.shift(timedelta(minutes=2))
        after = password_step(client, "root")
    assert after.status_code == 302 and after["Location"].startswith(CODE_PAGE)


def test_the_pause_holds_for_that_name_from_that_address_and_a_made_up_header_changes_nothing(
    client, superuser, settings
):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    authenticator(superuser)
    get_user_model().objects.create_superuser("other", "o@example.org", PASSWORD)
    proxy_added = "203.0.113.5"
    for n in range(5):
        # The client makes up the first entries; our proxy adds the last one, which is what counts.
        password_step(client, "root", "wrong-password", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, {proxy_added}")
    spoofed = password_step(client, "root", HTTP_X_FORWARDED_FOR=f"198.51.100.7, {proxy_added}")
    assert spoofed.status_code == 429
    # The same person at another address, and a colleague behind the same address, still sign in.
    assert password_step(client, "root", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302
    client.logout()
    assert password_step(client, "other", HTTP_X_FORWARDED_FOR=proxy_added).status_code == 302


def test_the_pause_message_is_in_the_visitors_language(client, superuser):
    for _attempt in range(5):
        response = password_step(client, "root", "wrong-password", HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 429
    html = response.content.decode()
    assert '<html lang="ko"' in html and "15분" in html
    zh = password_step(client, "root", "wrong-password", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert '<html lang="zh-hans"' in zh.content.decode() and "15 分钟" in text(zh)


def test_axes_reset_lifts_every_pause(client, superuser):
    for _attempt in range(5):
        password_step(client, "root", "wrong-password")
    assert password_step(client, "root").status_code == 429
    call_command("axes_reset", stdout=io.StringIO())
    assert password_step(client, "root").status_code == 302


def test_odd_sign_in_input_never_gives_a_server_error(client, superuser, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    authenticator(superuser)
    cases = [
        ({"username": "someone", "password": "x"}, {"HTTP_X_FORWARDED_FOR": "not-an-address"}),
        ({"username": "someone", "password": "x"}, {"HTTP_X_FORWARDED_FOR": ""}),
        ({"username": "r" * 5000, "password": "x"}, {}),
        ({"username": "ro\x00ot", "password": "x"}, {}),
        ({"username": "someone", "password": "x\x00"}, {}),
        ({"username": "someone", "password": "x" * 100_000}, {}),
        ({"username": ["a", "b"], "password": "x"}, {}),
        ({}, {}),
    ]
    for data, headers in cases:
        assert client.post(LOGIN, data, **headers).status_code < 500, (data, headers)
    password_step(client, "root")
    for typed in ["\x00" * 6, "9" * 10_000, "١٢٣٤٥٦"]:
        assert client.post(CODE_PAGE, {"code": typed}).status_code == 200
        assert client.post(NEW_APP_PAGE, {"code": typed}).status_code in (200, 302)


# ---------------------------------------------------------------------------
# manage.py otp_device


def test_otp_device_new_prints_an_app_that_signs_in_and_reset_removes_it(client, coordinator):
    out = io.StringIO()
    call_command("otp_device", "mina", "--new", stdout=out)
    printed = out.getvalue()
    key = re.search(r"type the key ([A-Z2-7]+) into it", printed).group(1)
    assert f"otpauth://totp/TrialFinder%3Amina?secret={key}" in printed
    device = TOTPDevice.objects.get(user=coordinator, confirmed=True)
    password_step(client, "mina")
    assert client.post(CODE_PAGE, {"code": code(device)})["Location"] == "/admin/"

    out = io.StringIO()
    call_command("otp_device", "mina", "--reset", stdout=out)
    assert "Removed 1 authenticator app(s) of mina." in out.getvalue()
    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    client.logout()
    assert password_step(client, "mina")["Location"].startswith(NEW_APP_PAGE)


def test_make_run_says_how_to_get_into_the_admin(db, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert "password: " + PASSWORD in out.getvalue()
    assert "manage.py otp_device admin --new" in out.getvalue()
    assert get_user_model().objects.get(username="admin").is_superuser
