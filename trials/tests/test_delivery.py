"""Delivery of guardians' messages: a real SMTP server (aiosmtpd) and the real db_worker.

The worker is the one `make run` starts; here it runs in batch mode, which
handles every task that is due and then stops.
"""

import socket
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from trials import emails, tasks
from trials.models import ContactMessage, Site
from trials.services import contact_message_create, contact_message_resend

pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    """Collects what the SMTP server accepts; can refuse chosen recipients for a while."""

    def __init__(self):
        self.envelopes = []
        self.refuse = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "451 4.3.0 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def parsed(self):
        return [
            (env.rcpt_tos, message_from_bytes(env.original_content, policy=policy.default)) for env in self.envelopes
        ]

    def count_by_recipient(self) -> Counter:
        return Counter(address for env in self.envelopes for address in env.rcpt_tos)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def new_message(**data) -> ContactMessage:
    chosen = site()
    fields = {
        "first_name": "민준",
        "last_name": "김",
        "email": "guardian@example.com",
        "phone": "+82 10-1234-5678",
        "preferred_language": "ko",
        "location": "부산",
        "message": "우리 아이에 대해 여쭤보고 싶습니다.",
    }
    fields.update(data)
    return contact_message_create(trial=chosen.trial, site=chosen, data=fields, consent_text="I agree.", language="en")


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
    assert site().facility in str(copy["Subject"])
    for email in (team, copy):
        assert email.get_content_type() == "multipart/alternative"
        kinds = [part.get_content_type() for part in email.iter_parts()]
        assert kinds == ["text/plain", "text/html"]
    team_text = team.get_body(("plain",)).get_content()
    assert "우리 아이에 대해 여쭤보고 싶습니다." in team_text
    # The study team at Severance reads Korean: their copy is in Korean and names
    # the guardian's preferred language.
    assert site().local_language == "ko"
    assert "원하는 언어: 한국어" in team_text
    assert "+82 10-1234-5678" in team_text
    assert "우리 아이에 대해" in copy.get_body(("html",)).get_content()

    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.SENT
    assert message.team_email_sent_at and message.guardian_copy_sent_at
    assert message.delivery_attempts == 1

    # Running the worker again sends nothing more.
    run_worker()
    assert len(smtp.inbox.envelopes) == 2


def test_every_message_arrives_exactly_once_after_an_outage(live_trials, smtp, client):
    # The SMTP server is down: nothing listens on its port.
    url = reverse("trial_contact", args=["NCT06516679"])
    chosen = site()
    guardians = [f"parent{n}@example.com" for n in range(3)]
    for n, address in enumerate(guardians):
        response = client.post(
            url,
            {
                "action": "send",
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

    # Still down a minute later: a second failed attempt, the wait doubles.
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=True):
        run_worker()
    assert ContactMessage.objects.filter(delivery_attempts=2, delivery_status="pending").count() == 3

    smtp.start()
    # Before the backoff has passed the worker leaves them alone...
    run_worker()
    assert smtp.inbox.envelopes == []
    # ...and once it has passed, everything goes out.
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        run_worker()
        run_worker()
    with time_machine.travel(timezone.now() + timedelta(hours=10), tick=True):
        run_worker()

    counts = smtp.inbox.count_by_recipient()
    assert counts == {chosen.team_email: 3, **dict.fromkeys(guardians, 1)}
    team_subjects = sorted(str(email["Subject"]) for rcpt, email in smtp.inbox.parsed() if rcpt == [chosen.team_email])
    ids = sorted(ContactMessage.objects.values_list("pk", flat=True))
    # The study team's copy is in the site's own language (Korean for Severance).
    with translation.override(chosen.local_language):
        expected = sorted(
            gettext("A family asks about %(trial)s (message %(number)s)") % {"trial": "NCT06516679", "number": pk}
            for pk in ids
        )
    assert chosen.local_language == "ko"
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
    assert "guardian@example.com" not in message.last_delivery_error

    smtp.inbox.refuse.clear()
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=True):
        run_worker()
    assert smtp.inbox.count_by_recipient() == {site().team_email: 1, "guardian@example.com": 1}
    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.SENT and message.delivery_attempts == 2


def test_after_the_last_attempt_the_message_is_failed_and_can_be_resent(live_trials, smtp, monkeypatch):
    monkeypatch.setattr(tasks, "MAX_ATTEMPTS", 2)
    message = new_message()
    run_worker()
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=True):
        run_worker()
    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.FAILED
    assert message.delivery_attempts == 2
    # No task is left waiting.
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=True):
        run_worker()

    smtp.start()
    assert contact_message_resend(message=message) is True
    assert contact_message_resend(message=message) is False  # already queued again
    run_worker()
    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.SENT
    assert smtp.inbox.count_by_recipient() == {site().team_email: 1, "guardian@example.com": 1}


def test_a_site_without_a_team_address_fails_at_once(live_trials, smtp):
    smtp.start()
    Site.objects.filter(pk=site().pk).update(team_email="")
    message = new_message()
    run_worker()
    message.refresh_from_db()
    assert message.delivery_status == ContactMessage.Delivery.FAILED
    assert smtp.inbox.envelopes == []


def test_line_breaks_cannot_add_headers(live_trials, smtp):
    smtp.start()
    # Stored directly, past the form that would refuse it.
    new_message(first_name="Eve\r\nBcc: victim@example.net", last_name="X\nSubject: spam")
    run_worker()
    assert "victim@example.net" not in smtp.inbox.count_by_recipient()
    for _rcpt, email in smtp.inbox.parsed():
        assert email["Bcc"] is None
        assert len(email.get_all("Subject")) == 1


def test_the_team_email_is_in_the_sites_language_and_the_copy_in_the_guardians(live_trials):
    chosen = site()
    chosen.local_language = "ko"
    chosen.save()
    message = new_message()
    message.language = "zh-hans"
    team = emails.team_email(message)
    copy = emails.guardian_copy(message)
    assert 'lang="ko"' in team.alternatives[0].content
    assert 'lang="zh-hans"' in copy.alternatives[0].content
