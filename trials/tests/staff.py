"""Staff sign-in for tests: a real authenticator app (a django-otp TOTP device) and the codes it shows.

`staff_login` signs a user in as both steps of the admin's sign-in leave them: a session
(Django's force_login), then django-otp's own login with their app. Tests of the sign-in itself
go through the pages with `code(device)`, computed as the phone app computes it.
"""

import django_otp
from django.http import HttpRequest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def authenticator(user) -> TOTPDevice:
    """The user's authenticator app, set up (confirmed) if they have none yet."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def code(device: TOTPDevice, at: float | None = None) -> str:
    """The six digits the app shows now, or at the Unix time `at`."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    return f"{totp.token():0{device.digits}d}"


def staff_login(client, user) -> None:
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, authenticator(user))
    request.session.save()


def sign_in(page, base_url: str, username: str, password: str) -> None:
    """Through the browser: the password, then the code from the user's app."""
    from django.contrib.auth import get_user_model

    device = authenticator(get_user_model().objects.get(username=username))
    page.goto(base_url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.fill("#id_code", code(device))
    page.click("input[type=submit]")
    page.locator("#user-tools").wait_for()
