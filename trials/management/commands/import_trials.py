import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError

from trials import registry


class Command(BaseCommand):
    help = (
        "Imports trials from ClinicalTrials.gov API v2 records: files holding one study, or a page "
        '{"studies": [...]}, or with --fetch the live record. A new trial is a draft until staff publish it. '
        "A published trial's differences wait in the admin for staff to accept. Staff-written content is never changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="JSON record files")
        parser.add_argument("--fetch", nargs="+", metavar="NCT_ID", default=[], help="download these live records")
        parser.add_argument(
            "--compiled-on",
            type=compiled_date,
            metavar="YYYY-MM-DD",
            help=(
                "the files were compiled by hand from public copies of the registry record on this day, "
                "and have not been checked against ClinicalTrials.gov (the pages say so)"
            ),
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish new trials at once (for scripted set-ups whose content is loaded too)",
        )

    def handle(self, *args, files, fetch, compiled_on=None, publish=False, **options):
        if not files and not fetch:
            raise CommandError("Name at least one record file, or use --fetch NCT01234567.")
        records = []
        try:
            for path in files:
                records.extend(registry.read_file(path))
            for nct_id in fetch:
                records.extend(registry.fetch(nct_id))
        except registry.RecordError as error:
            raise CommandError(f"Nothing was imported. {error}") from None
        except ConnectionError as error:
            raise CommandError(f"Nothing was imported. {error}") from None
        report = registry.trials_import(records=records, compiled_on=compiled_on, publish=publish)
        if options["verbosity"]:
            self.stdout.write(
                f"Trials: {len(report.created)} new, {len(report.updated)} drafts updated, "
                f"{len(report.published)} published. "
                f"Sites: {report.sites_created} new, {report.sites_updated} updated, "
                f"{report.sites_unlisted} no longer listed, {report.sites_placed} placed by their city."
            )
            for nct_id, count in report.pending.items():
                if count:
                    self.stdout.write(
                        f"{nct_id} is published: {count} change(s) wait for review in the admin (Registry changes)."
                    )


def compiled_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"needs a date such as 2026-11-21, not {value!r}") from None
