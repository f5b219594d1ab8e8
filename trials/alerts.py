"""Alerts for followers: recorded when staff accept registry changes or publish a trial, then sent
by the task worker, at most once a day per address, in each follower's language.

Only the two signals in trials/signals.py start an alert, and they are sent
only after staff act (never by an import that nobody reviewed), once the
transaction has committed. Each confirmed follower gets an Alert row, which
joins the follower's next email: the first news waits ALERT_GATHER_MINUTES so
that changes accepted together arrive together, and the next email goes out
no sooner than a day after the last one.

Every email to a follower (the request to confirm, and the alerts) is a
FollowerEmail row and a task on the same durable queue as contact messages:
leased while a worker sends it, retried after a failure like a contact
message, and deleted with its alerts the moment the SMTP server takes it.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from trials import emails, signals
from trials.follow import absolute, condition_name
from trials.models import Alert, Follow, Follower, FollowerEmail, Site, Trial
from trials.models.content import RegistryStatus
from trials.tasks import close_dead_task_rows, error_summary, lease_seconds, live_task_ids, retry_delay
from trials.templatetags.registry_tags import registry_age, registry_date, registry_phases

logger = logging.getLogger(__name__)

DIGEST_INTERVAL = timedelta(days=1)


# ---------------------------------------------------------------------------
# Recording: what each follower will be told


@receiver(signals.registry_changes_accepted)
def on_changes_accepted(sender, trial, changes, **kwargs):
    alerts_record(trial=trial, kind=Alert.Kind.CHANGED, changes=[asdict(change) for change in changes])


@receiver(signals.trial_published)
def on_trial_published(sender, trial, **kwargs):
    alerts_record(trial=trial, kind=Alert.Kind.NEW_TRIAL)


def followers_for(*, trial: Trial, kind: str) -> dict[int, dict]:
    """The followers who asked to hear about this (confirmed follows only), each with what their alert
    records: for a new trial, which followed trial's illness it shares."""
    confirmed = Follow.objects.confirmed()
    if kind == Alert.Kind.CHANGED:
        followers = confirmed.filter(trial=trial, kind=Follow.Kind.TRIAL).values_list("follower_id", flat=True)
        return dict.fromkeys(sorted(set(followers)), {})
    found: dict[int, dict] = {}
    candidates = confirmed.filter(kind=Follow.Kind.CONDITION).exclude(trial=trial).order_by("pk")
    for follow in candidates.only("follower_id", "trial_id", "condition_slug", "conditions").iterator():
        if follow.matches(trial):
            found.setdefault(follow.follower_id, {"kind": "new_trial", "followed_trial": follow.trial_id})
    return found


def alerts_record(*, trial: Trial, kind: str, changes: list[dict] | None = None, now=None) -> int:
    """Adds this news to each follower's next email, making and queueing that email where none waits.
    Returns the number of followers told."""
    told = followers_for(trial=trial, kind=kind)
    if not told:
        return 0
    follower_ids = list(told)
    now = now or timezone.now()
    with transaction.atomic():
        # An email a worker has not started on yet takes the news; locked, so a worker cannot start
        # on it (and fix its content) while the news joins it.
        waiting = {
            row.follower_id: row
            for row in FollowerEmail.objects.select_for_update().filter(
                follower_id__in=follower_ids,
                kind=FollowerEmail.Kind.DIGEST,
                started_at__isnull=True,
                delivery_status=FollowerEmail.Delivery.PENDING,
            )
        }
        last_sent = dict(Follower.objects.filter(pk__in=follower_ids).values_list("pk", "last_digest_at"))
        new_rows = [
            FollowerEmail(
                follower_id=follower_id,
                kind=FollowerEmail.Kind.DIGEST,
                due_at=digest_due(now=now, last_sent=last_sent.get(follower_id)),
            )
            for follower_id in follower_ids
            if follower_id not in waiting and follower_id in last_sent
        ]
        for row in FollowerEmail.objects.bulk_create(new_rows):
            waiting[row.follower_id] = row
            deliver_follower_email.using(run_after=row.due_at).enqueue(row.pk)
        Alert.objects.bulk_create(
            Alert(
                follower_id=follower_id,
                trial=trial,
                kind=kind,
                changes=changes if kind == Alert.Kind.CHANGED else [told[follower_id]],
                email=waiting[follower_id],
            )
            for follower_id in follower_ids
            if follower_id in waiting
        )
    logger.info("Recorded %s alert(s) about trial %s (%s)", len(waiting), trial.pk, kind)
    return len(waiting)


def digest_due(*, now: datetime, last_sent: datetime | None) -> datetime:
    """A short wait gathers the changes staff accept together; then a day after the last email."""
    due = now + timedelta(minutes=settings.ALERT_GATHER_MINUTES)
    return max(due, last_sent + DIGEST_INTERVAL) if last_sent else due


# ---------------------------------------------------------------------------
# What changed, in plain words, in the reader's language (call inside translation.override)


def field_names() -> dict[str, str]:
    return {
        "overall_status": _("Status"),
        "start_date": _("Start date"),
        "start_date_type": _("Start date"),
        "primary_completion_date": _("Date the main results are collected"),
        "completion_date": _("End date"),
        "completion_date_type": _("End date"),
        "minimum_age": _("Youngest age that can join"),
        "maximum_age": _("Oldest age that can join"),
        "sex": _("Who can join"),
        "phases": _("Phase"),
        "conditions": _("Illnesses studied"),
    }


def value_words(name: str, value) -> str:
    if value in (None, "", []):
        return _("not given")
    if name == "overall_status" or name == "status":
        return str(RegistryStatus(value).label) if value in RegistryStatus.values else str(value)
    if name.endswith("_date"):
        return registry_date(value)
    if name.endswith("_date_type"):
        words = {"ACTUAL": _("the real date"), "ESTIMATED": _("an expected date")}
        return words.get(value, str(value))
    if name.endswith("_age"):
        return registry_age(value)
    if name == "sex":
        return {"ALL": _("Girls and boys"), "FEMALE": _("Girls only"), "MALE": _("Boys only")}.get(value, value)
    if name == "phases":
        return registry_phases(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def merged(changes: list[dict]) -> list[dict]:
    """One line per thing that changed: A to B then B to C is A to C, and A to B then back is nothing."""
    by_key: dict[tuple, dict] = {}
    for change in changes:
        key = (change["kind"], change.get("field", ""), change.get("site_id") or change.get("site", ""))
        if key in by_key and change["kind"] in ("fact", "site_status"):
            by_key[key] = {**by_key[key], "new": change["new"]}
        else:
            by_key[key] = dict(change)
    changed = ("fact", "site_status")
    return [change for change in by_key.values() if change["kind"] not in changed or change["old"] != change["new"]]


def change_line(change: dict, sites: dict[int, Site]) -> str:
    kind = change["kind"]
    site = sites.get(change.get("site_id")) if change.get("site_id") else None
    site_name = str(site) if site is not None else change.get("site", "")
    if kind == "site_added":
        if change.get("new") and change["new"] != RegistryStatus.UNKNOWN:
            return _("A hospital was added: %(site)s (%(status)s).") % {
                "site": site_name,
                "status": value_words("status", change["new"]),
            }
        return _("A hospital was added: %(site)s.") % {"site": site_name}
    if kind == "site_removed":
        return _("A hospital is no longer listed: %(site)s.") % {"site": site_name}
    if kind == "site_status":
        return _("%(site)s: recruiting was “%(old)s”, now “%(new)s”.") % {
            "site": site_name,
            "old": value_words("status", change["old"]),
            "new": value_words("status", change["new"]),
        }
    name = change.get("field", "")
    if name == "eligibility_text":
        return _("The registry changed its own words about who can take part. Read them on the trial page.")
    what = field_names().get(name, name)
    if name.endswith("_date_type"):
        return _("%(what)s: it is now %(new)s (it was %(old)s).") % {
            "what": what,
            "new": value_words(name, change["new"]),
            "old": value_words(name, change["old"]),
        }
    return _("%(what)s: was %(old)s, now %(new)s.") % {
        "what": what,
        "old": value_words(name, change["old"]),
        "new": value_words(name, change["new"]),
    }


@dataclass
class DigestItem:
    """One trial in an alert email: what changed, or that it is new."""

    trial: Trial
    kind: str
    title: str
    url: str
    lines: list[str] = field(default_factory=list)
    status: str = ""
    condition: str = ""  # for a new trial: the illness the follower asked about, in their language
    alert_ids: list[int] = field(default_factory=list)


def digest_items(alerts: list[Alert], language: str) -> list[DigestItem]:
    """The email's content, in the reader's language: one item per trial, in the order the news came.
    News about a trial that is no longer published is left out."""
    site_ids = {change.get("site_id") for alert in alerts for change in alert.changes if change.get("site_id")}
    followed_ids = {change.get("followed_trial") for alert in alerts for change in alert.changes}
    items: dict[tuple, DigestItem] = {}
    changes: dict[tuple, list[dict]] = {}
    with translation.override(language):
        sites = Site.objects.in_bulk(site_ids)
        followed = Trial.objects.in_bulk({pk for pk in followed_ids if pk})
        for alert in alerts:
            trial = alert.trial
            if not trial.is_published:
                continue
            key = (alert.kind, trial.pk)
            if key not in items:
                items[key] = DigestItem(
                    trial=trial,
                    kind=alert.kind,
                    title=trial.plain_title or trial.brief_title,
                    url=absolute("trial_detail", language, nct_id=trial.nct_id),
                    status=str(trial.get_overall_status_display()),
                )
            items[key].alert_ids.append(alert.pk)
            if alert.kind == Alert.Kind.NEW_TRIAL:
                origin = followed.get(alert.changes[0].get("followed_trial")) if alert.changes else None
                items[key].condition = condition_name(origin or trial)
                continue
            changes.setdefault(key, []).extend(alert.changes)
        for key, item in items.items():
            item.lines = [change_line(change, sites) for change in merged(changes.get(key, []))]
    # A change undone before the email went out (A to B, then back) leaves nothing to say.
    return [item for item in items.values() if item.kind == Alert.Kind.NEW_TRIAL or item.lines]


# ---------------------------------------------------------------------------
# Delivery, by `manage.py db_worker`


def claim(email_id: int) -> FollowerEmail | None:
    """Takes the lease on an email still to be sent, or None if it is done, gone, or being sent by a
    live worker. The first claim fixes a digest's content. (When it is due is the task's run_after.)"""
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    taken = FollowerEmail.objects.filter(free, pk=email_id, delivery_status=FollowerEmail.Delivery.PENDING).update(
        lease_until=now + timedelta(seconds=lease_seconds()), started_at=Coalesce(F("started_at"), now)
    )
    if not taken:
        return None
    return FollowerEmail.objects.select_related("follower").get(pk=email_id)


def too_soon(email_row: FollowerEmail, now) -> bool:
    """Another email of alerts went out less than a day ago (one that was retried, say): this one waits."""
    if email_row.kind != FollowerEmail.Kind.DIGEST or email_row.started_at is not None:
        return False
    last = email_row.follower.last_digest_at
    return bool(last and last + DIGEST_INTERVAL > now)


@task()
def deliver_follower_email(email_id: int) -> str:
    now = timezone.now()
    row = FollowerEmail.objects.filter(pk=email_id).select_related("follower").first()
    if row is not None and too_soon(row, now):
        later = row.follower.last_digest_at + DIGEST_INTERVAL
        with transaction.atomic():
            FollowerEmail.objects.filter(pk=row.pk, started_at__isnull=True).update(due_at=later)
            deliver_follower_email.using(run_after=later).enqueue(row.pk)
        return "later"
    row = claim(email_id)
    if row is None:
        return "nothing to do"
    attempts = row.attempts + 1
    try:
        built = build(row)
        if built is None:
            row.delete()
            return "nothing to say"
        message, alert_ids = built
        message.send(fail_silently=False)
    except Exception as error:  # Any failure, SMTP or not, must leave the email retryable and visible.
        summary = error_summary(error)
        give_up = attempts >= settings.CONTACT_DELIVERY_ATTEMPTS
        with transaction.atomic():
            FollowerEmail.objects.filter(pk=row.pk).update(
                attempts=attempts,
                last_error=summary,
                lease_until=None,
                **({"delivery_status": FollowerEmail.Delivery.FAILED} if give_up else {}),
            )
            if not give_up:
                deliver_follower_email.using(run_after=timezone.now() + retry_delay(attempts)).enqueue(row.pk)
        outcome = "failed" if give_up else "retry"
        logger.warning("Follower email %s, attempt %s: %s; %s", row.pk, attempts, summary, outcome)
        return outcome
    sent(row, alert_ids)
    logger.info("Sent follower email %s (%s) on attempt %s", row.pk, row.kind, attempts)
    return "sent"


def build(row: FollowerEmail):
    """The email for this row and the alerts it carries, or None when there is nothing left to say."""
    follower = row.follower
    if row.kind == FollowerEmail.Kind.CONFIRM:
        follows = list(follower.follows.filter(pk__in=row.follows).select_related("trial").order_by("kind"))
        if not follows:
            return None
        return emails.follow_confirmation(row=row, follower=follower, follows=follows), []
    alerts = list(row.alerts.select_related("trial").order_by("pk"))
    items = digest_items(alerts, follower.language)
    if not items:
        return None
    return emails.alert_digest(row=row, follower=follower, items=items), [pk for item in items for pk in item.alert_ids]


def sent(row: FollowerEmail, alert_ids: list[int]) -> None:
    """The SMTP server took it: delete it and what it said, so it can never go out twice."""
    now = timezone.now()
    with transaction.atomic():
        if row.kind == FollowerEmail.Kind.DIGEST:
            Follower.objects.filter(pk=row.follower_id).update(last_digest_at=now)
            Alert.objects.filter(email=row, pk__in=alert_ids).delete()
            # News that joined after the content was fixed is never lost with it: it waits for the next email.
            leftover = Alert.objects.filter(email=row)
            if leftover.exists():
                later = FollowerEmail.objects.create(
                    follower_id=row.follower_id, kind=FollowerEmail.Kind.DIGEST, due_at=now + DIGEST_INTERVAL
                )
                leftover.update(email=later)
                deliver_follower_email.using(run_after=later.due_at).enqueue(later.pk)
        FollowerEmail.objects.filter(pk=row.pk).delete()


# ---------------------------------------------------------------------------
# Recovery and resending, as for contact messages


def follower_emails_recover(now=None) -> list[int]:
    """Queues again every follower email a dead worker left half-sent, or whose task vanished.
    An email that went out just before the worker died goes out again with the same Message-ID."""
    now = now or timezone.now()
    waiting = FollowerEmail.objects.filter(delivery_status=FollowerEmail.Delivery.PENDING)
    expired = list(waiting.filter(lease_until__lt=now).values_list("pk", "lease_until"))
    alive = live_task_ids(deliver_follower_email, now)
    unleased = [
        (pk, None)
        for pk in waiting.filter(lease_until__isnull=True, due_at__lt=now - timedelta(seconds=lease_seconds()))
        .exclude(pk__in=alive)
        .values_list("pk", flat=True)
    ]
    recovered = []
    for pk, lease in expired + unleased:
        with transaction.atomic():
            claimed = FollowerEmail.objects.filter(pk=pk, lease_until=lease).update(lease_until=None)
            if not claimed:
                continue
            close_dead_task_rows(deliver_follower_email, pk, now)
            deliver_follower_email.enqueue(pk)
        recovered.append(pk)
    return recovered


def follower_email_resend(*, row: FollowerEmail) -> bool:
    """Queues an email that failed after every retry again, at once."""
    with transaction.atomic():
        updated = FollowerEmail.objects.filter(pk=row.pk, delivery_status=FollowerEmail.Delivery.FAILED).update(
            delivery_status=FollowerEmail.Delivery.PENDING, attempts=0, last_error="", lease_until=None
        )
        if updated:
            deliver_follower_email.enqueue(row.pk)
    return bool(updated)
