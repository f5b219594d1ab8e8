"""Removes the personal data of messages kept longer than the retention period.

Run daily, for example from cron:

    15 3 * * *  cd /srv/trialfinder && .venv/bin/python manage.py purge_messages

The period counts from the day a message was closed ("closed" or "not
eligible"), or for a message never closed, from the day it arrived. What stays
is what the study team needs for its counts: trial, site, dates, status. The
notes and the message's history (django-reversion) hold personal data too, so
they go with it. A single message can be erased sooner from the inbox ("Erase
the personal data ... now").
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from trials.models import ContactMessage
from trials.services import contact_message_erase


class Command(BaseCommand):
    help = "Deletes the personal data of messages kept more than MESSAGE_RETENTION_DAYS days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            help=f"Retention in days (default: MESSAGE_RETENTION_DAYS, now {settings.MESSAGE_RETENTION_DAYS}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only say what would be removed.")

    def handle(self, *args, days=None, dry_run=False, **options):
        days = settings.MESSAGE_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        cutoff = timezone.now() - timedelta(days=days)
        due = list(ContactMessage.objects.purge_due(cutoff).order_by("pk"))
        ids = [message.pk for message in due]
        if dry_run:
            self.stdout.write(
                f"Would remove the personal data of {len(ids)} message(s) kept since before {cutoff:%Y-%m-%d}: "
                f"ids {ids_text(ids)}."
            )
            return
        with transaction.atomic():
            removed = sum(contact_message_erase(message=message) for message in due)
        self.stdout.write(
            f"Removed the personal data of {removed} message(s) kept since before {cutoff:%Y-%m-%d} "
            f"(ids {ids_text(ids)}), with their notes and history."
        )


def ids_text(ids: list[int]) -> str:
    return ", ".join(map(str, ids)) if ids else "none"
