"""purge_messages: personal data kept past the retention period goes, counts stay."""

from datetime import timedelta
from io import StringIO

import pytest
import reversion
from django.core.management import CommandError, call_command
from django.utils import timezone
from reversion.models import Version

from trials.models import ContactMessage, MessageNote
from trials.tests import factories


@pytest.fixture
def make(db):
    site = factories.site(factories.trial("NCT00000077"), "Hospital", team_email="t@example.org")

    def make(status="closed", closed_days_ago=None, name="Mina", received_days_ago=0):
        with reversion.create_revision():
            message = factories.contact_message(
                site,
                first_name=name,
                email=f"{name}@example.com",
                location_text="Busan",
                latitude=35.1,
                longitude=129.0,
                message="About my son",
                prescreen_summary="answers",
                prescreen_outcome="may qualify",
                child_age=8,
                child_age_unit="months",
                status=status,
                status_reason="moved away",
                closed_at=None if closed_days_ago is None else timezone.now() - timedelta(days=closed_days_ago),
            )
        MessageNote.objects.create(message=message, author_name="alice", text="called her")
        ContactMessage.objects.filter(pk=message.pk).update(
            created_at=timezone.now() - timedelta(days=received_days_ago)
        )
        return message

    return make


def run(*args):
    out = StringIO()
    call_command("purge_messages", *args, stdout=out)
    return out.getvalue()


def test_purges_closed_and_never_closed_messages_past_the_retention(make, settings):
    settings.MESSAGE_RETENTION_DAYS = 365
    old_closed = make("closed", 400, "Old", received_days_ago=420)
    old_not_eligible = make("not_eligible", 366, "Noel", received_days_ago=380)
    forgotten = make("contacted", None, "Forgotten", received_days_ago=400)  # never closed
    recent = make("closed", 10, "Recent", received_days_ago=400)
    open_one = make("screening", None, "Open", received_days_ago=30)
    output = run()
    assert "Removed the personal data of 3 message(s)" in output
    assert str(old_closed.pk) in output and "Old@" not in output
    for message in (old_closed, old_not_eligible, forgotten):
        message.refresh_from_db()
        assert message.personal_data_purged_at is not None
        for field, empty in ContactMessage.PERSONAL_FIELDS.items():
            assert getattr(message, field) == empty, field
        assert message.site_id and message.trial_id and message.status
        assert not Version.objects.get_for_object(message).exists()
        assert not message.notes.exists()
    for message in (recent, open_one):
        message.refresh_from_db()
        assert message.personal_data_purged_at is None and message.email and message.notes.exists()
        assert Version.objects.get_for_object(message).exists()
    assert "Removed the personal data of 0 message(s)" in run()


def test_days_override_and_dry_run(make):
    message = make("closed", 10)
    assert "Would remove the personal data of 1 message(s)" in run("--days", "5", "--dry-run")
    message.refresh_from_db()
    assert message.email
    run("--days", "5")
    message.refresh_from_db()
    assert message.email == ""


def test_negative_days_are_refused(make):
    with pytest.raises(CommandError):
        run("--days", "-1")
