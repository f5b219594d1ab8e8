"""Removes the personal data of messages closed longer than the retention period.

Run daily, for example from cron:

    15 3 * * *  cd /srv/trialfinder && .venv/bin/python manage.py purge_messages

A message counts as closed from the day its status became "closed" or "not
eligible". What stays is what the study team needs for its counts: trial,
site, dates, status. The message's history (django-reversion) holds copies of
the personal data too, so it is deleted with it.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from reversion.models import Version

from trials.models import ContactMessage
from trials.models.contact import CLOSED_STATUSES

PERSONAL_FIELDS = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "phone": "",
    "location_text": "",
    "latitude": None,
    "longitude": None,
    "message": "",
    "prescreen_summary": "",
    "status_reason": "",
    "internal_notes": "",
    "last_delivery_error": "",
}


class Command(BaseCommand):
    help = "Deletes the personal data of messages closed more than MESSAGE_RETENTION_DAYS days ago."

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
        due = ContactMessage.objects.filter(
            status__in=CLOSED_STATUSES, closed_at__lte=cutoff, personal_data_purged_at__isnull=True
        )
        ids = list(due.values_list("pk", flat=True))
        if dry_run:
            self.stdout.write(
                f"Would remove the personal data of {len(ids)} message(s) closed before {cutoff:%Y-%m-%d}: "
                f"ids {ids_text(ids)}."
            )
            return
        with transaction.atomic():
            updated = ContactMessage.objects.filter(pk__in=ids).update(
                **PERSONAL_FIELDS, personal_data_purged_at=timezone.now()
            )
            versions, _by_model = (
                Version.objects.get_for_model(ContactMessage).filter(object_id__in=[str(pk) for pk in ids]).delete()
            )
        self.stdout.write(
            f"Removed the personal data of {updated} message(s) closed before {cutoff:%Y-%m-%d} "
            f"(ids {ids_text(ids)}), and {versions} history entr{'y' if versions == 1 else 'ies'}."
        )


def ids_text(ids: list[int]) -> str:
    return ", ".join(map(str, ids)) if ids else "none"
