"""Background work, run by `manage.py db_worker`: delivering guardians' messages.

django-tasks 0.12 has no retries of its own, so a failed delivery queues a
new task for later (run_after) until the attempts run out. Each email is
marked as sent the moment it goes out; a later attempt sends only what is
still missing.

A worker first takes a lease on the message (CONTACT_DELIVERY_LEASE_SECONDS).
If it dies mid-send, the lease runs out and `manage.py recover_deliveries`
queues the message again. An email that went out just before the crash, and
was not yet marked, goes out again with the same Message-ID (trials/emails.py),
so the receiving system can tell the two copies are one email.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from trials import emails
from trials.models import ContactMessage, DeliveryAttempt

logger = logging.getLogger(__name__)

LONGEST_WAIT_SECONDS = 3600


def lease_seconds() -> int:
    """How long a worker holds a delivery (a contact message, or an email to a follower) before recovery
    takes it for abandoned."""
    return settings.CONTACT_DELIVERY_LEASE_SECONDS


def live_task_ids(delivery_task, now) -> set[int]:
    """The ids (first argument) of every task of this kind that is still waiting, or running inside its lease."""
    started_after = now - timedelta(seconds=lease_seconds())
    alive = set()
    for status, started_at, args in DBTaskResult.objects.filter(
        task_path=delivery_task.module_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).values_list("status", "started_at", "args_kwargs"):
        if status == TaskResultStatus.READY or (started_at and started_at >= started_after):
            alive.update(args.get("args", [])[:1])
    return alive


def close_dead_task_rows(delivery_task, pk: int, now) -> None:
    """django-tasks-db leaves the row of a task whose worker died RUNNING for ever: it is closed as failed."""
    DBTaskResult.objects.filter(
        task_path=delivery_task.module_path,
        status=TaskResultStatus.RUNNING,
        started_at__lt=now - timedelta(seconds=lease_seconds()),
    ).filter(args_kwargs__args=[pk]).update(status=TaskResultStatus.FAILED, finished_at=now)


def retry_delay(attempts: int) -> timedelta:
    first = settings.CONTACT_DELIVERY_FIRST_RETRY_SECONDS
    return timedelta(seconds=min(first * 2 ** (attempts - 1), LONGEST_WAIT_SECONDS))


def error_summary(error: Exception) -> str:
    """The kind of failure and the SMTP code, never the server's text: it can
    quote addresses, which are personal data."""
    code = getattr(error, "smtp_code", None)
    if code is None and getattr(error, "recipients", None):
        code = ",".join(str(reply[0]) for reply in error.recipients.values())
    return type(error).__name__ + (f" (SMTP {code})" if code else "")


def claim(message_id: int) -> ContactMessage | None:
    """Takes the lease on a message still to be sent, or None if it is done,
    gone, or being sent by a live worker."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=lease_seconds())
    free = Q(delivery_lease_until__isnull=True) | Q(delivery_lease_until__lt=now)
    with transaction.atomic():
        taken = (
            ContactMessage.objects.with_personal_data()
            .filter(free, pk=message_id, delivery_status=ContactMessage.Delivery.PENDING)
            .update(delivery_lease_until=lease_until)
        )
        if not taken:
            return None
        message = ContactMessage.objects.select_related("site", "trial").get(pk=message_id)
        DeliveryAttempt.objects.create(message=message, number=message.delivery_attempts + 1, started_at=now)
    return message


@task()
def deliver_contact_message(message_id: int) -> str:
    message = claim(message_id)
    if message is None:
        return "nothing to do"
    attempts = message.delivery_attempts + 1
    held = not message.site.can_receive_messages
    try:
        if not message.team_email_sent_at and not held:
            emails.send_team_email(message)
            mark(message, team_email_sent_at=timezone.now())
        if not message.guardian_copy_sent_at:
            emails.send_guardian_copy(message)
            mark(message, guardian_copy_sent_at=timezone.now())
    except Exception as error:  # Any failure, SMTP or not, must leave the message retryable and visible.
        summary = error_summary(error)
        give_up = attempts >= settings.CONTACT_DELIVERY_ATTEMPTS
        with transaction.atomic():
            mark(
                message,
                delivery_attempts=attempts,
                last_delivery_error=summary,
                delivery_lease_until=None,
                **({"delivery_status": ContactMessage.Delivery.FAILED} if give_up else {}),
            )
            finish_attempt(
                message, DeliveryAttempt.Outcome.FAILED if give_up else DeliveryAttempt.Outcome.RETRY, summary
            )
            if not give_up:
                deliver_contact_message.using(run_after=timezone.now() + retry_delay(attempts)).enqueue(message_id)
        outcome = "failed" if give_up else "retry"
        logger.warning("Delivery of message %s, attempt %s: %s; %s", message_id, attempts, summary, outcome)
        return outcome
    # A held message waits until staff confirm the site's address (a registry suggestion, or none yet);
    # confirming it queues the message again (trials/services.py, contact_messages_release).
    status, outcome = (
        (ContactMessage.Delivery.HELD, DeliveryAttempt.Outcome.HELD)
        if held
        else (ContactMessage.Delivery.SENT, DeliveryAttempt.Outcome.SENT)
    )
    with transaction.atomic():
        mark(
            message,
            delivery_attempts=attempts,
            last_delivery_error="",
            delivery_status=status,
            delivery_lease_until=None,
        )
        finish_attempt(message, outcome, "")
    if held:
        logger.info("Held message %s until the team address of site %s is confirmed", message_id, message.site_id)
        return "held"
    logger.info("Delivered message %s on attempt %s", message_id, attempts)
    return "sent"


def mark(message: ContactMessage, **fields) -> None:
    # An UPDATE of just these columns, so the worker never overwrites the
    # study team's concurrent edits (status, notes) with a stale copy.
    ContactMessage.objects.filter(pk=message.pk).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)


def finish_attempt(message: ContactMessage, outcome: str, error: str) -> None:
    DeliveryAttempt.objects.filter(message=message, outcome=DeliveryAttempt.Outcome.SENDING).update(
        outcome=outcome, error=error, finished_at=timezone.now()
    )
