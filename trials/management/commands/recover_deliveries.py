"""Queues again the deliveries that a dead worker left behind: contact messages, and emails to followers.

A worker holds a lease on a message while it sends (CONTACT_DELIVERY_LEASE_SECONDS).
If it is killed mid-send, django-tasks-db leaves its task RUNNING for ever; once
the lease has run out this command records the attempt as interrupted and
queues the message again. Emails already marked sent are not sent again.

Run it every minute or two beside the worker, for example from cron:

    * * * * *  cd /srv/trialfinder && .venv/bin/python manage.py recover_deliveries

or, as `make run` does, in a loop: manage.py recover_deliveries --every 60
"""

import time

from django.core.management.base import BaseCommand

from trials.alerts import follower_emails_recover
from trials.services import deliveries_recover


class Command(BaseCommand):
    help = "Queues again the contact messages and follower emails whose delivery a dead worker left unfinished."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Keep running, checking every N seconds.")

    def handle(self, *args, every=0, verbosity=1, **options):
        while True:
            recovered = deliveries_recover()
            if recovered or verbosity > 1:
                self.stdout.write(
                    f"Queued again {len(recovered)} message(s): ids {', '.join(map(str, recovered)) or 'none'}."
                )
            emails = follower_emails_recover()
            if emails or verbosity > 1:
                self.stdout.write(
                    f"Queued again {len(emails)} email(s) to followers: ids {', '.join(map(str, emails)) or 'none'}."
                )
            if not every:
                return
            time.sleep(every)
