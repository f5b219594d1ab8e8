"""Compares each trial with its ClinicalTrials.gov record and records every difference for staff review.

    manage.py sync_registry --fetch                  # every trial, live records
    manage.py sync_registry --fetch NCT06516679      # one trial
    manage.py sync_registry records/*.json           # saved records
    manage.py sync_registry NCT06516679 records/*.json

Nothing a parent sees changes until a staff member accepts a change in the
admin (Registry changes). A rejected difference is not raised again. A record
that cannot be fetched, or that the registry no longer has, is reported and
nothing is deleted. Run it daily from cron (see the README).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from trials import registry
from trials.models import Trial


class Command(BaseCommand):
    help = "Records the differences between each trial and its registry record as changes for staff to review."

    def add_arguments(self, parser):
        parser.add_argument("items", nargs="*", help="NCT numbers to check, and/or record files")
        parser.add_argument("--fetch", action="store_true", help="download the live records from ClinicalTrials.gov")

    def handle(self, *args, items, fetch, **options):
        wanted = [item.strip().upper() for item in items if registry.NCT_PATTERN.match(item.strip().upper())]
        files = [item for item in items if item not in wanted and item.strip().upper() not in wanted]
        if fetch and files:
            raise CommandError("Use either --fetch or record files, not both.")
        if not fetch and not files:
            raise CommandError("Name record files, or use --fetch (with NCT numbers, or none for every trial).")
        problems = []
        records = []
        if fetch:
            for nct_id in wanted or list(Trial.objects.values_list("nct_id", flat=True)):
                try:
                    records.extend(registry.fetch(nct_id))
                except registry.RecordVanished as error:
                    problems.append(f"{error} Nothing was changed or deleted; please check the trial in the admin.")
                except (ConnectionError, registry.RecordError) as error:
                    problems.append(f"{nct_id}: {error} Nothing was changed.")
        else:
            try:
                for path in files:
                    records.extend(registry.read_file(Path(path)))
            except registry.RecordError as error:
                raise CommandError(f"Nothing was synced. {error}") from None
            if wanted:
                records = [record for record in records if record.nct_id in wanted]
        report = registry.trials_import(records=records)
        say = self.stdout.write if options["verbosity"] else (lambda text: None)
        for nct_id in report.created:
            say(f"{nct_id}: new, imported as a draft (publish it in the admin).")
        for nct_id in report.updated:
            say(f"{nct_id}: draft updated from the record.")
        for nct_id, count in report.pending.items():
            say(f"{nct_id}: {count} new change(s) to review." if count else f"{nct_id}: no new difference.")
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} record(s) could not be checked (see above).")
