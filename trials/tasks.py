"""Background work, run by `manage.py db_worker`: delivering guardians' messages.

django-tasks 0.12 has no retries of its own, so a failed delivery queues a
new task for later (run_after) until the attempts run out. Each email is
marked as sent the moment it goes out; a later attempt sends only what is
still missing, so nothing arrives twice.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from trials import emails
from trials.models import ContactMessage

logger = logging.getLogger(__name__)

# 1, 2, 4 ... minutes, at most an hour apart: about 8 hours in all by default.
MAX_ATTEMPTS = getattr(settings, "CONTACT_DELIVERY_ATTEMPTS", 12)
FIRST_RETRY_SECONDS = getattr(settings, "CONTACT_DELIVERY_FIRST_RETRY_SECONDS", 60)
LONGEST_WAIT_SECONDS = 3600


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LONGEST_WAIT_SECONDS))


def error_summary(error: Exception) -> str:
    """The kind of failure and the SMTP code, never the server's text: it can
    quote addresses, which are personal data."""
    code = getattr(error, "smtp_code", None)
    if code is None and getattr(error, "recipients", None):
        code = ",".join(str(reply[0]) for reply in error.recipients.values())
    return type(error).__name__ + (f" (SMTP {code})" if code else "")


@task()
def deliver_contact_message(message_id: int) -> str:
    message = ContactMessage.objects.select_related("site", "trial").filter(pk=message_id).first()
    if message is None or message.personal_data_purged_at:
        return "gone"
    if message.delivery_status == ContactMessage.Delivery.SENT:
        return "already sent"
    attempts = message.delivery_attempts + 1
    try:
        if not message.team_email_sent_at:
            if not message.site.team_email:
                raise MissingTeamAddress
            emails.send_team_email(message)
            mark(message, team_email_sent_at=timezone.now())
        if not message.guardian_copy_sent_at:
            emails.send_guardian_copy(message)
            mark(message, guardian_copy_sent_at=timezone.now())
    except Exception as error:  # Any failure, SMTP or not, must leave the message retryable and visible.
        summary = error_summary(error)
        with transaction.atomic():
            if attempts >= MAX_ATTEMPTS or isinstance(error, MissingTeamAddress):
                mark(
                    message,
                    delivery_attempts=attempts,
                    last_delivery_error=summary,
                    delivery_status=ContactMessage.Delivery.FAILED,
                )
                outcome = "failed"
            else:
                mark(message, delivery_attempts=attempts, last_delivery_error=summary)
                deliver_contact_message.using(run_after=timezone.now() + retry_delay(attempts)).enqueue(message_id)
                outcome = "retry"
        logger.warning("Delivery of message %s, attempt %s: %s; %s", message_id, attempts, summary, outcome)
        return outcome
    mark(message, delivery_attempts=attempts, last_delivery_error="", delivery_status=ContactMessage.Delivery.SENT)
    logger.info("Delivered message %s on attempt %s", message_id, attempts)
    return "sent"


class MissingTeamAddress(Exception):
    """The site has no study-team address; retrying cannot help until staff add one."""


def mark(message: ContactMessage, **fields) -> None:
    # An UPDATE of just these columns, so the worker never overwrites the
    # study team's concurrent edits (status, notes) with a stale copy.
    ContactMessage.objects.filter(pk=message.pk).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)
