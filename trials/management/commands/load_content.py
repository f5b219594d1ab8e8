from django.core.management.base import BaseCommand, CommandError

from trials.content import ContentError, content_load


class Command(BaseCommand):
    help = (
        "Loads the plain-language content (summaries, FAQs, glossary, questions, criteria) from "
        "trials/data/content/. Fills only what is empty, so edits made in the admin are kept."
    )

    def handle(self, *args, **options):
        try:
            report = content_load()
        except (ContentError, KeyError) as error:
            raise CommandError(f"Nothing was loaded. {error}") from None
        for warning in report.warnings:
            self.stderr.write(warning)
        if options["verbosity"]:
            created = ", ".join(f"{count} {kind}" for kind, count in report.created.items()) or "nothing new"
            self.stdout.write(f"Content: {created}; {report.filled} empty fields filled.")
