"""Side-effecting steps of the contact flow: store a message, queue, recover and
resend its delivery, erase it."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from reversion.models import Version

from trials import localnames
from trials.forms.contact import consent_sentence
from trials.geo import Resolution
from trials.models import ContactMessage, DeliveryAttempt, Site, Trial
from trials.tasks import close_dead_task_rows, deliver_contact_message, lease_seconds, live_task_ids

# Device positions are kept to 2 decimal places: about 1 km.
COORDINATE_PLACES = 2


@dataclass(frozen=True, kw_only=True)
class Guardian:
    """Who is writing, as the form cleaned it."""

    first_name: str
    last_name: str
    email: str
    phone: str  # E.164
    phone_extension: str = ""
    preferred_language: str
    relationship: str
    child_age: int | None = None
    child_age_unit: str = ""


@dataclass(frozen=True)
class Created:
    message: ContactMessage
    is_new: bool


def contact_message_create(
    *,
    trial: Trial,
    site: Site,
    guardian: Guardian,
    text: str,
    place: Resolution,
    place_label: str,
    language: str,
    prescreen_summary: str = "",
    prescreen_outcome: str = "",
    submission_key: str | None = None,
    repeat_key: str = "",
) -> Created:
    """Saves the guardian's message and queues its delivery in one transaction.

    The task row is written by the database backend inside the same
    transaction, so either both exist or neither does. A form sent twice (a
    double tap, two processes, Back then Send) finds the first message: the
    submission key is unique in the database, and the repeat key matches the
    same visitor sending the same text to the same site within a day.
    """
    if repeat_key:
        earlier = ContactMessage.objects.filter(
            repeat_key=repeat_key, created_at__gte=timezone.now() - timedelta(days=1)
        ).first()
        if earlier:
            return Created(earlier, False)
    latitude = longitude = None
    if place.found:
        latitude = round(place.latitude, COORDINATE_PLACES)
        longitude = round(place.longitude, COORDINATE_PLACES)
    try:
        with transaction.atomic():
            message = ContactMessage.objects.create(
                trial=trial,
                site=site,
                submission_key=submission_key or None,
                repeat_key=repeat_key,
                first_name=guardian.first_name,
                last_name=guardian.last_name,
                email=guardian.email,
                phone=guardian.phone,
                phone_extension=guardian.phone_extension,
                relationship=guardian.relationship,
                child_age=guardian.child_age,
                child_age_unit=guardian.child_age_unit if guardian.child_age is not None else "",
                preferred_language=guardian.preferred_language,
                location_text=place_label if place.status != "empty" else "",
                latitude=latitude,
                longitude=longitude,
                message=text,
                prescreen_summary=prescreen_summary,
                prescreen_outcome=prescreen_outcome,
                consent_text=consent_sentence(site.facility),
                consented_at=timezone.now(),
                language=language,
            )
            deliver_contact_message.enqueue(message.pk)
    except IntegrityError:
        # The same form, already stored by a request that got there first.
        earlier = ContactMessage.objects.filter(submission_key=submission_key).first() if submission_key else None
        if earlier is None:
            raise
        return Created(earlier, False)
    return Created(message, True)


def repeat_key_for(*, binding: str, site: Site, email: str, text: str) -> str:
    """The same visitor (CSRF secret), site, address and text: the same message."""
    material = "\x1f".join([settings.SECRET_KEY, binding, str(site.pk), email.casefold(), " ".join(text.split())])
    return hashlib.sha256(material.encode()).hexdigest()


def stuck_messages(now=None, *, ids=None) -> list[ContactMessage]:
    """Messages waiting to be sent that no worker is working on and no task waits for.

    Either a worker claimed one and its lease ran out (it died mid-send), or
    its task vanished before any worker claimed it (killed between taking the
    task and taking the lease, or a task row removed by hand).
    """
    now = now or timezone.now()
    waiting = ContactMessage.objects.with_personal_data().filter(delivery_status=ContactMessage.Delivery.PENDING)
    if ids is not None:
        waiting = waiting.filter(pk__in=ids)
    expired = list(waiting.filter(delivery_lease_until__lt=now))
    unleased = waiting.filter(
        delivery_lease_until__isnull=True, created_at__lt=now - timedelta(seconds=lease_seconds())
    )
    alive = live_task_ids(deliver_contact_message, now)
    return expired + [message for message in unleased if message.pk not in alive]


def deliveries_recover(now=None, *, ids=None) -> list[int]:
    """Queues delivery again for every stuck message. Returns their ids.

    An attempt cut off by a dead worker is recorded as interrupted, and its
    task row, left RUNNING for ever by django-tasks-db, is closed as failed.
    Emails already marked sent are never sent again; one the dead worker sent
    but could not mark goes out again with the same Message-ID, so the
    receiving mail system can tell it is the same email.
    """
    now = now or timezone.now()
    recovered = []
    for message in stuck_messages(now, ids=ids):
        with transaction.atomic():
            claimed = (
                ContactMessage.objects.filter(pk=message.pk, delivery_status=ContactMessage.Delivery.PENDING)
                .filter(delivery_lease_until=message.delivery_lease_until)
                .update(delivery_lease_until=None)
            )
            if not claimed:
                continue  # another recovery, or a worker, got there first
            DeliveryAttempt.objects.filter(message=message, outcome=DeliveryAttempt.Outcome.SENDING).update(
                outcome=DeliveryAttempt.Outcome.INTERRUPTED, finished_at=now, error="Worker stopped"
            )
            close_dead_task_rows(deliver_contact_message, message.pk, now)
            deliver_contact_message.enqueue(message.pk)
        recovered.append(message.pk)
    return recovered


def contact_message_resend(*, message: ContactMessage) -> bool:
    """Queues delivery again, at once, for a message whose delivery failed or is stuck.

    A message inside its retry schedule, or being sent right now, already has a
    task and is left alone. The sent-at marks stay, so an email that went out
    before is not sent again.
    """
    if message.delivery_status == ContactMessage.Delivery.PENDING:
        return bool(deliveries_recover(ids=[message.pk]))
    with transaction.atomic():
        updated = (
            ContactMessage.objects.with_personal_data()
            .filter(pk=message.pk, delivery_status=ContactMessage.Delivery.FAILED)
            .update(
                delivery_status=ContactMessage.Delivery.PENDING,
                delivery_attempts=0,
                last_delivery_error="",
                delivery_lease_until=None,
            )
        )
        if updated:
            deliver_contact_message.enqueue(message.pk)
    return bool(updated)


def contact_messages_release(site: Site) -> list[int]:
    """Queues the team's email of every message held for this site, once its address is confirmed.

    Called whenever a site is saved (below), so a confirmation in the admin, in
    a shell or by an import all release the messages. Each message is moved
    back to "waiting to send" by one conditional update, so two saves at once
    still queue it once. Returns the ids queued.
    """
    if not site.can_receive_messages:
        return []
    released = []
    held = ContactMessage.objects.with_personal_data().filter(site=site, delivery_status=ContactMessage.Delivery.HELD)
    for pk in held.values_list("pk", flat=True):
        with transaction.atomic():
            moved = (
                ContactMessage.objects.with_personal_data()
                .filter(pk=pk, delivery_status=ContactMessage.Delivery.HELD)
                .update(delivery_status=ContactMessage.Delivery.PENDING, delivery_lease_until=None)
            )
            if moved:
                deliver_contact_message.enqueue(pk)
                released.append(pk)
    return released


ADDRESS_FIELDS = {"team_email", "team_email_verified"}


@receiver(post_save, sender=Site)
def release_held_messages(sender, instance: Site, update_fields=None, **kwargs):
    # A save that names its fields and leaves the team address alone (a registry sync of status or
    # listing) cannot have confirmed it.
    if update_fields is not None and not ADDRESS_FIELDS & set(update_fields):
        return
    if instance.can_receive_messages:
        transaction.on_commit(lambda: contact_messages_release(instance))


def contact_message_erase(*, message: ContactMessage) -> int:
    """Removes one message's personal data, its notes and its history copies. Returns 1 if it had any."""
    with transaction.atomic():
        erased = (
            ContactMessage.objects.with_personal_data()
            .filter(pk=message.pk)
            .update(**ContactMessage.PERSONAL_FIELDS, personal_data_purged_at=timezone.now())
        )
        message.notes.all().delete()
        Version.objects.get_for_model(ContactMessage).filter(object_id=str(message.pk)).delete()
    return erased


def site_time_zone(site: Site) -> ZoneInfo:
    """The site's own time zone, from its country."""
    country = getattr(site, "country_en", None) or site.country
    return ZoneInfo(localnames.time_zone_name(localnames.country_code(country), settings.TIME_ZONE))
