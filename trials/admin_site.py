"""The admin's sign-in: a password, then a code from the staff member's authenticator app.

Staff see guardians' names, addresses and their children's illness, so a password alone never
opens the admin. Every admin page needs both steps (`has_permission`):

1. Django's own login page, for the password. django-axes counts wrong passwords for each user
   name from each client address (by the contact form's rule, CLIENT_IP_HEADER) and pauses
   sign-in after AXES_FAILURE_LIMIT of them, for AXES_COOLOFF_TIME (`manage.py axes_reset`
   lifts every pause).
2. A six-digit code from an authenticator app (django-otp, TOTP). Staff without an app yet are
   led to set one up: a QR code to scan, then a code to show that it works. After each wrong
   code, django-otp doubles the wait before the next try.

A staff member who lost their phone: `manage.py otp_device NAME --reset`; they set up a new app
at their next sign-in.
"""

import functools
import ipaddress
import math
from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp.plugins.otp_totp.models import TOTPDevice

from trials.forms.staff import CodeForm, PasswordForm
from trials.ratelimit import client_address


def is_verified(user) -> bool:
    """True once this session has shown a code (OTPMiddleware sets `is_verified`)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def needs_code(user) -> bool:
    """Signed in with a password, as staff, but without a code yet."""
    return user.is_authenticated and user.is_active and user.is_staff and not is_verified(user)


class StaffAdminSite(admin.AdminSite):
    login_form = PasswordForm

    def has_permission(self, request):
        return super().has_permission(request) and is_verified(request.user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @functools.wraps(inner)
        def refuse_nul(request, *args, **kwargs):
            # A NUL byte in a filter or search would reach the database, and PostgreSQL answers it with an error.
            if any("\x00" in text for key, values in request.GET.lists() for text in (key, *values)):
                return HttpResponseBadRequest("Bad filter value")
            return inner(request, *args, **kwargs)

        return refuse_nul

    def get_urls(self):
        return [
            path("sign-in/code/", self.code_view, name="otp_code"),
            path("sign-in/new-app/", self.enrol_view, name="otp_enrol"),
            *super().get_urls(),
        ]

    def login(self, request, extra_context=None):
        if needs_code(request.user):
            return self.second_step(request)
        response = super().login(request, extra_context)
        if request.method == "POST" and needs_code(request.user):
            # The password was right: straight on to the code, not via a page the user may not see yet.
            return self.second_step(request)
        return response

    def second_step(self, request):
        has_app = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
        name = "admin:otp_code" if has_app else "admin:otp_enrol"
        query = urlencode({REDIRECT_FIELD_NAME: self.next_url(request)})
        return HttpResponseRedirect(f"{reverse(name, current_app=self.name)}?{query}")

    def next_url(self, request) -> str:
        wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
        safe = url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return wanted if safe and wanted else reverse("admin:index", current_app=self.name)

    def not_at_this_step(self, request):
        """Where someone goes who has nothing to do on a code page: in, or back to the password."""
        if self.has_permission(request):
            return HttpResponseRedirect(self.next_url(request))
        return HttpResponseRedirect(reverse("admin:login", current_app=self.name))

    def cancel(self, request):
        logout(request)
        return HttpResponseRedirect(reverse("admin:login", current_app=self.name))

    def step_context(self, request, form, title: str) -> dict:
        return {
            **self.each_context(request),
            "title": title,
            "form": form,
            "next": self.next_url(request),
            "username": request.user.get_username(),
        }

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def code_view(self, request):
        if not needs_code(request.user):
            return self.not_at_this_step(request)
        if "cancel" in request.POST:
            return self.cancel(request)
        if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            return self.second_step(request)
        form = CodeForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            devices = TOTPDevice.objects.filter(user=request.user, confirmed=True)
            wait = seconds_to_wait(devices)
            device = None if wait else django_otp.match_token(request.user, form.cleaned_data["code"])
            if device is not None:
                django_otp.login(request, device)
                return HttpResponseRedirect(self.next_url(request))
            form.add_error("code", wait_message(wait) if wait else wrong_code_message())
        context = self.step_context(request, form, _("Enter the code from your authenticator app"))
        return TemplateResponse(request, "admin/otp_code.html", context)

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def enrol_view(self, request):
        if not needs_code(request.user):
            return self.not_at_this_step(request)
        if "cancel" in request.POST:
            return self.cancel(request)
        if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            # A password alone never adds an app to an account that has one.
            return self.second_step(request)
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=request.user, name=_("Authenticator app"), confirmed=False)
        form = CodeForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            wait = seconds_to_wait([device])
            if not wait and device.verify_token(form.cleaned_data["code"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
                django_otp.login(request, device)
                messages.success(request, _("Your authenticator app is set up. Sign-in will ask for its code."))
                return HttpResponseRedirect(self.next_url(request))
            form.add_error("code", wait_message(wait) if wait else wrong_code_message())
        context = {
            **self.step_context(request, form, _("Set up an authenticator app")),
            "qr_code": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
            "setup_link": device.config_url,
            "secret": " ".join(grouped(b32encode(device.bin_key).decode(), 4)),
        }
        return TemplateResponse(request, "admin/otp_enrol.html", context)


def grouped(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)]


def seconds_to_wait(devices) -> int:
    """0 if a code may be tried now; else the seconds django-otp's back-off still asks for."""
    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if allowed:
            return 0
        until = (data or {}).get("locked_until")
        waits.append(max(1, math.ceil((until - timezone.now()).total_seconds())) if until else 60)
    return min(waits, default=0)


def wait_message(seconds: int) -> str:
    return ngettext(
        "Each wrong code makes the wait longer. Wait %(seconds)s second, then type the newest code.",
        "Each wrong code makes the wait longer. Wait %(seconds)s seconds, then type the newest code.",
        seconds,
    ) % {"seconds": seconds}


def wrong_code_message() -> str:
    return _("That code is not right. Type the newest code your app shows, and check that your phone's clock is right.")


def login_client_address(request) -> str | None:
    """The client address for django-axes: the contact form's rule, and only a real address."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def locked_out(request, response=None, credentials=None):
    """django-axes's answer while sign-in is paused: in the visitor's language, with the wait."""
    language = translation.get_language_from_request(request, check_path=False)
    with translation.override(language):
        context = {
            **admin.site.each_context(request),
            "title": _("Sign-in paused"),
            "minutes": math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        }
        return render(request, "admin/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
