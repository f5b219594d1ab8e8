"""Deletes shared notes whose link has expired (1, 7 or 30 days after sharing).

Run daily, for example from cron:

    45 3 * * *  cd /srv/trialfinder && .venv/bin/python manage.py purge_notes

A link past its time already opens nothing (the page deletes it when it is
visited); this removes the ones nobody visited, with the state kept for
destroyed and deleted links.
"""

from django.core.management.base import BaseCommand

from trials.sealing import shared_notes_purge


class Command(BaseCommand):
    help = "Deletes shared notes whose link has expired."

    def handle(self, *args, **options):
        deleted = shared_notes_purge()
        self.stdout.write(f"Deleted {deleted} expired shared notes.")
