"""A staff member's authenticator app, from the command line.

    manage.py otp_device NAME --reset   # lost phone: remove the app; they set up a new one at their next sign-in
    manage.py otp_device NAME --new     # replace the app with a new one and print it here, to scan from the terminal

The admin itself leads staff without an app to set one up after their password, so neither is
needed day to day. `--new` suits a developer on a machine without a browser camera: scan the QR
code printed in the terminal, or type the key into any authenticator app.
"""

from base64 import b32encode

import segno
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Resets a staff member's authenticator app, or makes a new one and prints it."

    def add_arguments(self, parser):
        parser.add_argument("username")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--reset", action="store_true", help="Remove the app; a new one is set up at sign-in.")
        action.add_argument("--new", action="store_true", help="Replace the app and print the new one here.")

    def handle(self, *args, username, reset, new, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        with transaction.atomic():
            removed, _ = TOTPDevice.objects.filter(user=user).delete()
            if reset:
                self.stdout.write(
                    f"Removed {removed} authenticator app(s) of {username}. "
                    "They set up a new one after their password at the next sign-in."
                )
                return
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        qr = segno.make(device.config_url, error="m")
        qr.terminal(out=self.stdout, compact=True)
        key = b32encode(device.bin_key).decode()
        self.stdout.write(f"Scan this with an authenticator app, or type the key {key} into it.")
        self.stdout.write(f"Or open this link on the phone: {device.config_url}")
        self.stdout.write(f"Then sign in at /admin/ as {username} with the password and the app's six-digit code.")
