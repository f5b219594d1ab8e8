import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Creates a local admin account on first run and says how to sign in."

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("ADMIN_USERNAME", "admin")
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Admin: http://127.0.0.1:8000/admin/ as {username!r} (password set on first run; "
                f"change it with: .venv/bin/python manage.py changepassword {username})"
            )
            return
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(f"Admin: http://127.0.0.1:8000/admin/  username: {username}  password: {password}")
        self.stdout.write(
            "This password is shown once. Change it with: .venv/bin/python manage.py changepassword admin"
        )
        self.stdout.write(
            "After the password, the admin asks for a code from an authenticator app and shows a QR code to set one "
            f"up. To print one here instead: .venv/bin/python manage.py otp_device {username} --new"
        )
