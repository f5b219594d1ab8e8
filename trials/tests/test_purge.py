"""purge_messages: personal data of long-closed messages goes, counts stay."""

from datetime import timedelta

import pytest
import reversion
from django.core.management import call_command
from django.utils import timezone
from reversion.models import Version

from trials.models import ContactMessage, Site, Trial


@pytest.fixture
def make(db):
    trial = Trial.objects.create(nct_id="NCT00000077", brief_title="Synthetic trial")
    site = Site.objects.create(trial=trial, facility="Hospital", city="C", country="X", team_email="t@example.org")

    def make(status="closed", closed_days_ago=None, name="Mina"):
        with reversion.create_revision():
            message = ContactMessage.objects.create(
                trial=trial,
                site=site,
                first_name=name,
                last_name="Park",
                email=f"{name}@example.com",
                phone="+82 10-1234-5678",
                preferred_language="ko",
                location_text="Busan",
                latitude=35.1,
                longitude=129.0,
                message="About my son",
                prescreen_summary="answers",
                internal_notes="called her",
                status=status,
                status_reason="moved away",
                consent_text="I agree.",
                consented_at=timezone.now(),
                closed_at=None if closed_days_ago is None else timezone.now() - timedelta(days=closed_days_ago),
            )
        return message

    return make


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("purge_messages", *args, stdout=out)
    return out.getvalue()


def test_purges_only_messages_closed_longer_than_the_retention(make, settings):
    settings.MESSAGE_RETENTION_DAYS = 365
    old_closed = make("closed", 400, "Old")
    old_not_eligible = make("not_eligible", 366, "Noel")
    recent = make("closed", 10, "Recent")
    open_one = make("screening", None, "Open")
    output = run()
    assert "Removed the personal data of 2 message(s)" in output
    assert str(old_closed.pk) in output and "Old@" not in output
    for message in (old_closed, old_not_eligible):
        message.refresh_from_db()
        assert message.personal_data_purged_at is not None
        assert (message.first_name, message.email, message.phone, message.message, message.internal_notes) == (
            "",
            "",
            "",
            "",
            "",
        )
        assert message.latitude is None and message.prescreen_summary == "" and message.status_reason == ""
        assert message.status in ("closed", "not_eligible") and message.site_id and message.trial_id
        assert not Version.objects.get_for_object(message).exists()
    for message in (recent, open_one):
        message.refresh_from_db()
        assert message.personal_data_purged_at is None and message.email
        assert Version.objects.get_for_object(message).exists()
    # A second run finds nothing more.
    assert "Removed the personal data of 0 message(s)" in run()


def test_days_override_and_dry_run(make):
    message = make("closed", 10)
    output = run("--days", "5", "--dry-run")
    assert "Would remove the personal data of 1 message(s)" in output
    message.refresh_from_db()
    assert message.email
    run("--days", "5")
    message.refresh_from_db()
    assert message.email == ""


def test_negative_days_are_refused(make):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        run("--days", "-1")
