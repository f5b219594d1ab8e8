"""Side-effecting steps of the contact flow: store a message and queue its delivery."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from trials.models import ContactMessage, Site, Trial
from trials.tasks import deliver_contact_message


def contact_message_create(
    *, trial: Trial, site: Site, data: dict, consent_text: str, language: str, prescreen_summary: str = ""
) -> ContactMessage:
    """Saves the guardian's message and queues its delivery in one transaction.

    The task row is written by the database backend inside the same
    transaction, so either both exist or neither does: a crash between the
    two cannot leave a message that is never sent.
    """
    with transaction.atomic():
        message = ContactMessage.objects.create(
            trial=trial,
            site=site,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            preferred_language=data["preferred_language"],
            location_text=data.get("location", ""),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            message=data["message"],
            prescreen_summary=prescreen_summary,
            consent_text=consent_text,
            consented_at=timezone.now(),
            language=language,
        )
        deliver_contact_message.enqueue(message.pk)
    return message


# Longer than the whole retry schedule (trials/tasks.py): a message still waiting
# after this has lost its task, for example to a worker killed mid-send.
STUCK_AFTER = timedelta(hours=12)


def resendable_messages():
    """Messages staff may queue again: delivery failed, or still waiting long after every retry."""
    stuck = Q(delivery_status=ContactMessage.Delivery.PENDING, created_at__lt=timezone.now() - STUCK_AFTER)
    return ContactMessage.objects.filter(
        Q(delivery_status=ContactMessage.Delivery.FAILED) | stuck, personal_data_purged_at__isnull=True
    )


def contact_message_resend(*, message: ContactMessage) -> bool:
    """Queues delivery again for a message whose delivery failed or is stuck.

    A message still inside its retry schedule already has a task waiting, and
    is left alone. The sent-at marks stay, so an email that went out before is
    not sent again.
    """
    with transaction.atomic():
        updated = (
            resendable_messages()
            .filter(pk=message.pk)
            .update(delivery_status=ContactMessage.Delivery.PENDING, delivery_attempts=0, last_delivery_error="")
        )
        if updated:
            deliver_contact_message.enqueue(message.pk)
    return bool(updated)
