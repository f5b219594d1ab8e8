"""Delivery of guardians' messages: a real SMTP server (aiosmtpd) and the real db_worker.

The worker is the one `make run` starts; most tests run it in batch mode, which
handles every task that is due and then stops. One test runs it as its own
process and kills it with SIGKILL in the middle of sending (PostgreSQL only:
the worker process must reach the test database).
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from trials import emails
from trials.geo import resolve_place
from trials.models import ContactMessage, DeliveryAttempt, Site
from trials.prodlocal.stack import free_port
from trials.services import Guardian, contact_message_create, contact_message_resend, deliveries_recover
from trials.tests.conftest import clear_caches
from trials.tests.staff import staff_login

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """Collects what the SMTP server accepts; can refuse chosen recipients, drop
    the connection after taking a message, or pause before answering 250."""

    def __init__(self):
        self.envelopes = []
        self.refuse = set()
        self.drop_after_data = 0
        self.pause_after_data = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "451 4.3.0 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        if self.drop_after_data:
            # Took the message, then the line dropped before "250": the sender must try again.
            self.drop_after_data -= 1
            session.transport.close()
            return "421 Connection lost"
        if self.pause_after_data:
            await asyncio.sleep(self.pause_after_data)
        return "250 Message accepted for delivery"

    def parsed(self):
        return [
            (env.rcpt_tos, message_from_bytes(env.original_content, policy=policy.default)) for env in self.envelopes
        ]

    def count_by_recipient(self) -> Counter:
        return Counter(address for env in self.envelopes for address in env.rcpt_tos)


class SMTPServer:
    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    server = SMTPServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def run_worker():
    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)


def site(nct_id="NCT06516679") -> Site:
    return Site.objects.get(trial__nct_id=nct_id)


def new_message(*, location="부산", text="우리 아이에 대해 여쭤보고 싶습니다.", **guardian) -> ContactMessage:
    chosen = site()
    fields = {
        "first_name": "민준",
        "last_name": "김",
        "email": "guardian@example.com",
        "phone": "+821012345678",
        "preferred_language": "ko",
        "relationship": "parent",
        "child_age": 7,
        "child_age_unit": "months",
    }
    fields.update(guardian)
    return contact_message_create(
        trial=chosen.trial,
        site=chosen,
        guardian=Guardian(**fields),
        text=text,
        place=resolve_place(location),
        place_label=location,
        language="en",
    ).message


def test_worker_sends_the_team_email_and_the_guardians_copy(live_trials, smtp):
    smtp.start()
    message = new_message()
    run_worker()

    assert smtp.inbox.count_by_recipient() == {site().team_email: 1, "guardian@example.com": 1}
    parsed = {tuple(rcpt)[0]: email for rcpt, email in smtp.inbox.parsed()}
    team, copy = parsed[site().team_email], parsed["guardian@example.com"]
    # Korean names survive the headers, encoded and decoded again.
    assert str(team["Reply-To"]) == "김민준 <guardian@example.com>"
    assert str(copy["To"]) == "김민준 <guardian@example.com>"
    assert site().facility in str(copy["Subject"]) and message.reference in str(copy["Subject"])
    for email in (team, copy):
        assert email.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in email.iter_parts()] == ["text/plain", "text/html"]
    team_text = team.get_body(("plain",)).get_content()
    assert "우리 아이에 대해 여쭤보고 싶습니다." in team_text
    # The study team at Severance reads Korean: their copy is in Korean, with
    # the reference, who is writing, the child's age and the number as understood.
    assert site().local_language == "ko"
    assert "원하는 언어: 한국어" in team_text
    assert message.reference in team_text
    assert "+82 10-1234-5678 (대한민국)" in team_text
    assert "7개월" in team_text
    copy_text = copy.get_body(("plain",)).get_content()
    assert message.reference in copy_text and "help@example.org" in copy_text
    assert "우리 아이에 대해" in copy.get_body(("html",)).get_content()
    # Dates a parent reads are written out in the reader's language, never ISO.
    assert f"{timezone.localtime(message.created_at).year}-" not in copy_text

    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.SENT
    assert message.team_email_sent_at and message.guardian_copy_sent_at
    assert message.delivery_attempts == 1 and message.delivery_lease_until is None
    assert list(message.attempts.values_list("number", "outcome")) == [(1, "sent")]

    run_worker()  # again: nothing more is sent
    assert len(smtp.inbox.envelopes) == 2


def test_each_email_keeps_one_message_id_when_it_is_sent_twice(live_trials, smtp):
    """The server takes the team email, then the line drops before "250". The
    retry sends it again, recognisably the same email."""
    smtp.start()
    smtp.inbox.drop_after_data = 1
    message = new_message()
    run_worker()
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=True):
        run_worker()
    team_ids = [str(email["Message-ID"]) for rcpt, email in smtp.inbox.parsed() if rcpt == [site().team_email]]
    assert len(team_ids) == 2 and team_ids[0] == team_ids[1]
    copy_ids = [str(email["Message-ID"]) for rcpt, email in smtp.inbox.parsed() if rcpt == ["guardian@example.com"]]
    assert len(copy_ids) == 1 and copy_ids[0] != team_ids[0]
    assert team_ids[0] == f"<{message.reference.lower()}.team@example.org>"
    assert list(message.attempts.values_list("outcome", flat=True)) == ["retry", "sent"]


def test_every_message_arrives_exactly_once_after_an_outage(live_trials, smtp, client):
    # The SMTP server is down: nothing listens on its port.
    url = reverse("trial_contact", args=["NCT06516679"])
    chosen = site()
    guardians = [f"parent{n}@example.com" for n in range(3)]
    for n, address in enumerate(guardians):
        page = client.get(url).content.decode()
        key = page.split('name="submission_id" value="')[1].split('"')[0]
        response = client.post(
            url,
            {
                "action": "send",
                "submission_id": key,
                "relationship": "guardian",
                "first_name": f"Parent{n}",
                "last_name": "Lee",
                "email": address,
                "phone": "+82 10-1234-5678",
                "preferred_language": "en",
                "site": chosen.pk,
                "consent_site": chosen.pk,
                "consent": "on",
                "message": f"Question number {n}",
            },
        )
        assert response.status_code == 302
    run_worker()
    assert ContactMessage.objects.filter(delivery_status="pending", delivery_attempts=1).count() == 3
    assert all(m.last_delivery_error.startswith("ConnectionRefusedError") for m in ContactMessage.objects.all())

    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=True):
        run_worker()
    assert ContactMessage.objects.filter(delivery_attempts=2, delivery_status="pending").count() == 3

    smtp.start()
    run_worker()  # before the backoff has passed the worker leaves them alone
    assert smtp.inbox.envelopes == []
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        run_worker()
        run_worker()
    with time_machine.travel(timezone.now() + timedelta(hours=10), tick=True):
        run_worker()

    assert smtp.inbox.count_by_recipient() == {chosen.team_email: 3, **dict.fromkeys(guardians, 1)}
    team_subjects = sorted(str(email["Subject"]) for rcpt, email in smtp.inbox.parsed() if rcpt == [chosen.team_email])
    with translation.override(chosen.local_language):
        expected = sorted(
            gettext("A family asks about %(trial)s (reference %(reference)s)")
            % {"trial": "NCT06516679", "reference": reference}
            for reference in ContactMessage.objects.values_list("reference", flat=True)
        )
    assert [subject.strip() for subject in team_subjects] == expected
    assert set(ContactMessage.objects.values_list("delivery_status", flat=True)) == {"sent"}


def test_a_retry_sends_only_the_email_that_did_not_go_out(live_trials, smtp):
    smtp.start()
    smtp.inbox.refuse.add("guardian@example.com")
    message = new_message()
    run_worker()
    message.refresh_from_db()
    assert message.team_email_sent_at is not None and message.guardian_copy_sent_at is None
    assert message.last_delivery_error == "SMTPRecipientsRefused (SMTP 451)"

    smtp.inbox.refuse.clear()
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=True):
        run_worker()
    assert smtp.inbox.count_by_recipient() == {site().team_email: 1, "guardian@example.com": 1}
    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.SENT and message.delivery_attempts == 2


def test_after_the_last_attempt_the_message_is_failed_and_staff_resend_it_at_once(live_trials, smtp, settings):
    settings.CONTACT_DELIVERY_ATTEMPTS = 2
    message = new_message()
    run_worker()
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=True):
        run_worker()
    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.FAILED and message.delivery_attempts == 2
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=True):
        run_worker()  # no task is left waiting

    smtp.start()
    assert contact_message_resend(message=message) is True  # at once: no waiting period
    assert contact_message_resend(message=message) is False  # already queued again
    run_worker()
    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.SENT
    assert smtp.inbox.count_by_recipient() == {site().team_email: 1, "guardian@example.com": 1}
    assert list(message.attempts.values_list("outcome", flat=True)) == ["retry", "failed", "sent"]


def test_a_message_to_an_unconfirmed_address_waits_and_goes_once_when_staff_confirm_it(live_trials, smtp, client):
    from django.contrib.auth.models import User

    smtp.start()
    # An address suggested by the registry, not yet checked by staff.
    Site.objects.filter(pk=site().pk).update(team_email="team@registry.example", team_email_verified=False)
    message = new_message()
    run_worker()
    # The guardian has their copy at once, saying the message waits; the unchecked address gets nothing.
    assert smtp.inbox.count_by_recipient() == {"guardian@example.com": 1}
    copy = smtp.inbox.parsed()[0][1].get_body(("plain",)).get_content()
    assert "still confirming the team's email address" in copy
    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.HELD
    assert list(message.attempts.values_list("outcome", flat=True)) == ["held"]
    run_worker()  # nothing is due until staff act
    assert len(smtp.inbox.envelopes) == 1

    # Staff see it waiting in the inbox, then confirm the address with the site list's action.
    staff = User.objects.create_superuser("coordinator", "c@example.org", "pw")
    staff_login(client, staff)
    inbox = client.get(reverse("admin:trials_contactmessage_changelist"), {"delivery_status": "held"})
    assert message.reference in inbox.content.decode()
    assert "Waiting for a confirmed team address" in inbox.content.decode()
    response = client.post(
        reverse("admin:trials_site_changelist"),
        {"action": "confirm_team_address", "_selected_action": [site().pk]},
        follow=True,
    )
    assert "1 address confirmed." in response.content.decode()
    run_worker()
    assert smtp.inbox.count_by_recipient() == {"guardian@example.com": 1, "team@registry.example": 1}
    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.SENT
    assert list(message.attempts.values_list("outcome", flat=True)) == ["held", "sent"]
    # Saving the site again releases nothing more.
    site().save()
    run_worker()
    assert len(smtp.inbox.envelopes) == 2


def test_a_site_without_an_address_holds_its_messages_until_one_is_added_and_confirmed(live_trials, smtp):
    smtp.start()
    Site.objects.filter(pk=site().pk).update(team_email="", team_email_verified=False)
    message = new_message()
    run_worker()
    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.HELD
    chosen = site()
    chosen.team_email = "new-team@example.org"
    chosen.save()  # added, not yet confirmed: still held
    run_worker()
    assert smtp.inbox.count_by_recipient() == {"guardian@example.com": 1}
    chosen.team_email_verified = True
    chosen.save()
    run_worker()
    assert smtp.inbox.count_by_recipient() == {"guardian@example.com": 1, "new-team@example.org": 1}


def test_the_guardian_is_told_when_the_teams_address_is_not_confirmed_yet(live_trials, client):
    Site.objects.filter(pk=site().pk).update(team_email_verified=False)
    html = client.get("/ko/trials/NCT06516679/contact/").content.decode()
    assert "site-unconfirmed" in html
    Site.objects.filter(pk=site().pk).update(team_email_verified=True)
    clear_caches()
    assert "site-unconfirmed" not in client.get("/ko/trials/NCT06516679/contact/").content.decode()


def test_line_breaks_and_encoded_words_cannot_add_headers_or_block_delivery(live_trials, smtp):
    smtp.start()
    # Stored directly, past the form that would refuse the first two.
    new_message(first_name="Eve\r\nBcc: victim@example.net", last_name="X\nSubject: spam", email="a@example.com")
    new_message(first_name="=?utf-8?q?=0D=0ABcc:_x@evil.test?=", last_name="Kim", email="b@example.com")
    run_worker()
    assert "victim@example.net" not in smtp.inbox.count_by_recipient()
    assert "x@evil.test" not in smtp.inbox.count_by_recipient()
    for _rcpt, email in smtp.inbox.parsed():
        assert email["Bcc"] is None
        assert len(email.get_all("Subject")) == 1
    # Both messages, and both guardians' copies, went out.
    assert set(ContactMessage.objects.values_list("delivery_status", flat=True)) == {"sent"}
    assert smtp.inbox.count_by_recipient()["b@example.com"] == 1


def test_an_internationalised_domain_is_delivered(live_trials, smtp):
    smtp.start()
    new_message(email="x@例え.jp")  # as an old row might hold it; the form stores the IDNA form
    run_worker()
    assert smtp.inbox.count_by_recipient()["x@xn--r8jz45g.jp"] == 1
    assert ContactMessage.objects.get().delivery_status == "sent"


def test_a_delivery_cut_off_mid_send_is_recovered_without_resending_what_was_marked(live_trials, smtp, settings):
    """A worker took the lease, sent and marked the team email, then died."""
    smtp.start()
    message = new_message()
    now = timezone.now()
    ContactMessage.objects.filter(pk=message.pk).update(
        delivery_lease_until=now + timedelta(seconds=settings.CONTACT_DELIVERY_LEASE_SECONDS), team_email_sent_at=now
    )
    DeliveryAttempt.objects.create(message=message, number=1, started_at=now)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=now)
    assert deliveries_recover() == []  # the lease still runs: a live worker may be sending
    later = now + timedelta(seconds=settings.CONTACT_DELIVERY_LEASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert deliveries_recover() == [message.pk]
        assert deliveries_recover() == []  # once
    run_worker()
    assert smtp.inbox.count_by_recipient() == {"guardian@example.com": 1}
    message.refresh_from_db()
    assert message.delivery_status == "sent"
    assert list(message.attempts.values_list("outcome", flat=True)) == ["interrupted", "sent"]
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()


def test_a_message_whose_task_vanished_is_recovered(live_trials, smtp, settings):
    smtp.start()
    message = new_message()
    DBTaskResult.objects.all().delete()
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.CONTACT_DELIVERY_LEASE_SECONDS + 1)):
        call_command("recover_deliveries", verbosity=0)
    run_worker()
    message.refresh_from_db()
    assert message.delivery_status == "sent"


def test_the_team_email_is_in_the_sites_language_and_the_copy_in_the_guardians(live_trials):
    chosen = site()
    chosen.local_language = "ko"
    chosen.save()
    message = new_message()
    message.language = "zh-hans"
    assert 'lang="ko"' in emails.team_email(message).alternatives[0].content
    assert 'lang="zh-hans"' in emails.guardian_copy(message).alternatives[0].content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker process must reach the test database")
def test_a_worker_killed_mid_send_is_replaced_and_the_message_arrives(live_trials, smtp, settings):
    """A real db_worker process, SIGKILLed while the SMTP server holds its reply."""
    smtp.inbox.pause_after_data = 30
    smtp.start()
    lease = 3
    settings.CONTACT_DELIVERY_LEASE_SECONDS = lease
    message = new_message()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "0",
        "CONTACT_DELIVERY_LEASE_SECONDS": str(lease),
        "DJANGO_DEBUG": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not smtp.inbox.envelopes and time.monotonic() < deadline:
            time.sleep(0.1)
        assert smtp.inbox.envelopes, "the worker never reached the SMTP server"
        os.kill(worker.pid, signal.SIGKILL)  # mid-send: the server holds its "250"
    finally:
        worker.wait(timeout=30)
    smtp.inbox.pause_after_data = 0

    message.refresh_from_db()
    assert message.delivery_status == "pending" and message.team_email_sent_at is None
    assert DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count() == 1
    time.sleep(lease + 1)
    assert deliveries_recover() == [message.pk]
    run_worker()

    message.refresh_from_db()
    assert message.delivery_status == "sent"
    counts = smtp.inbox.count_by_recipient()
    assert counts["guardian@example.com"] == 1
    # The team email reached the server before the kill and was never marked,
    # so it went out again: with the same Message-ID, which mail systems deduplicate.
    team_ids = {str(email["Message-ID"]) for rcpt, email in smtp.inbox.parsed() if rcpt == [site().team_email]}
    assert counts[site().team_email] == 2 and len(team_ids) == 1
    assert list(message.attempts.values_list("outcome", flat=True)) == ["interrupted", "sent"]
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
