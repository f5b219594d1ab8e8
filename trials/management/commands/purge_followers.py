"""Deletes sign-ups to alerts that nobody confirmed within 7 days, and every address left following nothing.

Run daily, for example from cron:

    50 3 * * *  cd /srv/trialfinder && .venv/bin/python manage.py purge_followers

A link to confirm stops working after the same 7 days. Confirmed followers are
kept until they stop the alerts (which deletes them at once).
"""

from django.core.management.base import BaseCommand

from trials.follow import unconfirmed_purge
from trials.models.follow import CONFIRM_DAYS


class Command(BaseCommand):
    help = f"Deletes sign-ups to alerts not confirmed within {CONFIRM_DAYS} days, and addresses following nothing."

    def handle(self, *args, **options):
        follows, followers = unconfirmed_purge()
        self.stdout.write(
            f"Deleted {follows} unconfirmed sign-up(s) older than {CONFIRM_DAYS} days, "
            f"and {followers} address(es) left following nothing."
        )
