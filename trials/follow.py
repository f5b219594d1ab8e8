"""Following a trial by email: the sign-up, confirming it, stopping, and the signed links in the emails.

Double opt-in: a sign-up stores the address and what it asked for, and queues
one email asking to confirm. Nothing else is sent to it until the link in that
email is used. Signing up again finds the same rows (one Follower per address,
one Follow per trial and kind), and the page says the same thing whether the
address was known or not; only the mailbox's owner learns which it was.

Stopping deletes the address and everything kept with it, at once.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext

from trials.models import Follow, Follower, FollowerEmail, Trial
from trials.models.follow import CONFIRM_DAYS, condition_terms, email_normalized

CONFIRM_SALT = "trials.follow.confirm"
STOP_SALT = "trials.follow.stop"
SENT_SALT = "trials.follow.sent"
SENT_MAX_AGE = 24 * 3600
# The same request again within this time (a double tap, Back then Send) sends no second email.
REPEAT_MINUTES = 10


class LinkExpired(Exception):
    """A signed link that was right once, but is older than it may be."""


class LinkBroken(Exception):
    """A link that was never ours, or lost characters on the way."""


@dataclass(frozen=True)
class ConfirmLink:
    follower_id: int
    key: str
    follows: list[int]
    language: str


def condition_name(trial: Trial) -> str:
    """What "this condition" is, in the current language: staff's plain name for it, else the registry's names."""
    return trial.condition_label or ", ".join(trial.conditions or []) or gettext("this illness")


def follow_request(*, trial: Trial, email: str, language: str, kinds: list[str]) -> Follower:
    """Stores a sign-up and queues the email that asks to confirm it, in one transaction.

    The address and each thing it follows are kept once. A follow already
    confirmed stays confirmed; the email then says so instead of asking.
    """
    from trials.alerts import deliver_follower_email

    now = timezone.now()
    with transaction.atomic():
        follower, _created = Follower.objects.select_for_update().get_or_create(
            email=email_normalized(email), defaults={"language": language}
        )
        follows, repeat = [], True
        for kind in kinds:
            follow, created = Follow.objects.get_or_create(
                follower=follower,
                trial=trial,
                kind=kind,
                defaults={
                    "language": language,
                    "condition_slug": trial.condition_slug if kind == Follow.Kind.CONDITION else "",
                    "conditions": condition_terms(trial) if kind == Follow.Kind.CONDITION else [],
                },
            )
            recent = follow.asked_at > now - timedelta(minutes=REPEAT_MINUTES) and follow.language == language
            repeat &= not created and recent
            follows.append(follow)
        Follow.objects.filter(pk__in=[follow.pk for follow in follows]).update(asked_at=now, language=language)
        if not repeat:
            email_row = FollowerEmail.objects.create(
                follower=follower,
                kind=FollowerEmail.Kind.CONFIRM,
                language=language,
                follows=[follow.pk for follow in follows],
                due_at=now,
            )
            deliver_follower_email.enqueue(email_row.pk)
    return follower


def follow_confirm(link: ConfirmLink) -> list[Follow] | None:
    """Confirms the follows a link names, and takes the language it asked for.
    Returns the follows now confirmed (those confirmed before included), or None when none is left."""
    with transaction.atomic():
        follower = Follower.objects.select_for_update().filter(pk=link.follower_id, key=link.key).first()
        if follower is None:
            return None
        follows = list(follower.follows.filter(pk__in=link.follows).select_related("trial"))
        if not follows:
            return None
        now = timezone.now()
        for follow in follows:
            if follow.confirmed_at is None:
                follow.confirmed_at = now
                follow.save(update_fields=["confirmed_at"])
        if follower.language != link.language:
            follower.language = link.language
            follower.save(update_fields=["language"])
    return follows


def follower_forget(*, follower: Follower) -> None:
    """Deletes the address and everything kept with it: what it follows, its alerts, its emails not yet sent."""
    follower.delete()


def unconfirmed_purge(now=None) -> tuple[int, int]:
    """Deletes sign-ups not confirmed within CONFIRM_DAYS of their latest request, and every address
    left following nothing. Returns (follows deleted, addresses deleted)."""
    cutoff = (now or timezone.now()) - timedelta(days=CONFIRM_DAYS)
    with transaction.atomic():
        follows, _by_model = Follow.objects.waiting().filter(asked_at__lt=cutoff).delete()
        followers, _by_model = Follower.objects.filter(follows__isnull=True).delete()
    return follows, followers


# ---------------------------------------------------------------------------
# Signed links. They carry numbers and a random key, never the address.


def confirm_token(*, follower: Follower, follows: list[int], language: str) -> str:
    return signing.dumps({"f": follower.pk, "k": follower.key, "w": follows, "l": language}, salt=CONFIRM_SALT)


def confirm_link_from(token: str) -> ConfirmLink:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=timedelta(days=CONFIRM_DAYS))
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkBroken from None
    try:
        return ConfirmLink(int(data["f"]), str(data["k"]), [int(pk) for pk in data["w"]], str(data["l"]))
    except (KeyError, TypeError, ValueError):
        raise LinkBroken from None


def stop_token(follower: Follower) -> str:
    return signing.dumps([follower.pk, follower.key], salt=STOP_SALT)


def follower_from_stop_token(token: str) -> Follower | None:
    """The follower a stop link names; None when it is gone already. Raises LinkBroken for a link not ours."""
    try:
        follower_id, key = signing.loads(token, salt=STOP_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        raise LinkBroken from None
    return Follower.objects.filter(pk=follower_id, key=key).first()


def sent_token(follower: Follower, *, binding: str) -> str:
    """For the page after signing up: it shows the address only to the browser that typed it."""
    return signing.dumps([follower.pk, signing.Signer(salt=SENT_SALT).signature(binding)], salt=SENT_SALT)


def follower_from_sent_token(token: str, *, binding: str) -> Follower | None:
    try:
        follower_id, signature = signing.loads(token, salt=SENT_SALT, max_age=SENT_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not binding or not constant_time_compare(signature, signing.Signer(salt=SENT_SALT).signature(binding)):
        return None
    return Follower.objects.filter(pk=follower_id).first()


def absolute(view: str, language: str, **kwargs) -> str:
    """An absolute link from SITE_URL to a page in the reader's language."""
    with translation.override(language):
        return settings.SITE_URL + reverse(view, kwargs=kwargs)


def stop_url(follower: Follower, language: str | None = None) -> str:
    return absolute("follow_stop", language or follower.language, token=stop_token(follower))
