"""The admin's sign-in in Chromium: a password, then the code from an authenticator app."""

import io
import time
from base64 import b32decode

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.oath import TOTP

from trials.tests import factories
from trials.tests.staff import authenticator, code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password-1"


def no_axe_violations(page):
    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()


def test_password_then_a_code_then_the_inbox_and_a_wrong_code_is_refused(live_server, page):
    site = factories.site(factories.trial(), "Hospital A", team_email="a@hospital.example")
    factories.contact_message(site, first_name="Anna", email="anna@example.com")
    call_command("setup_roles", member="mina", site=[str(site.pk)], verbosity=0, stdout=io.StringIO())
    mina = get_user_model().objects.get(username="mina")
    mina.set_password(PASSWORD)
    mina.save()
    device = authenticator(mina)

    page.goto(live_server.url + "/admin/trials/contactmessage/")
    page.fill("#id_username", "mina")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.locator("#id_code").wait_for()
    assert "Your password was right, mina." in page.inner_text("#content-main")
    no_axe_violations(page)

    right = code(device)
    page.fill("#id_code", f"{(int(right) + 1) % 1_000_000:06d}")
    page.press("#id_code", "Enter")
    assert "That code is not right." in page.inner_text(".errornote")
    assert "/admin/sign-in/code/" in page.url
    no_axe_violations(page)
    # The inbox is still closed.
    page.goto(live_server.url + "/admin/trials/contactmessage/")
    assert "/admin/sign-in/code/" in page.url

    time.sleep(1.1)  # django-otp's wait after one wrong code
    page.fill("#id_code", code(device))
    page.press("#id_code", "Enter")
    page.locator("#result_list").wait_for()
    assert page.url.endswith("/admin/trials/contactmessage/")
    assert "Anna" in page.inner_text("#result_list")


def test_the_first_sign_in_sets_up_an_app_from_what_the_page_shows(live_server, page):
    get_user_model().objects.create_user("jun", "jun@hospital.example", PASSWORD, is_staff=True)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "jun")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.locator(".otp-qr").wait_for()
    # The QR code is drawn (a data: image the CSP allows), and the key can be read off the page.
    assert page.evaluate("document.querySelector('.otp-qr').naturalWidth") > 100
    no_axe_violations(page)
    key = page.inner_text(".otp-secret").replace(" ", "")
    app = TOTP(b32decode(key))  # what any authenticator app computes from that key
    page.fill("#id_code", "000000" if f"{app.token():06d}" != "000000" else "111111")
    page.click("input[type=submit]")
    assert "That code is not right." in page.inner_text(".errornote")
    time.sleep(1.1)
    page.fill("#id_code", f"{TOTP(b32decode(key)).token():06d}")
    page.click("input[type=submit]")
    assert "Your authenticator app is set up." in page.inner_text(".messagelist")
    assert page.url.endswith("/admin/")
