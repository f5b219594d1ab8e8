"""Every email the site sends, built here from a text and an HTML template each.

Names in Korean or Chinese are safe in headers: Django encodes non-ASCII
header values (RFC 2047) and display names in addresses. Header values are
also stripped of line breaks here, and encoded-word markers ("=?") are broken
up, whatever the form already refused, so no value can start a header of its
own or decode into one. Addresses go out with their domain in IDNA form.

Each email carries a Message-ID made from the message's reference and the
email's kind: sent twice (after a lost SMTP reply, or a worker killed
mid-send), it is recognisably the same email.
"""

from email.utils import formataddr, parseaddr

import phonenumbers
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from trials import localnames
from trials.follow import absolute, condition_name, confirm_token, stop_url
from trials.models import Alert, ContactMessage, Follow
from trials.models.follow import CONFIRM_DAYS
from trials.screening.words import long_date as day_words

HEADER_BREAKS = str.maketrans({"\r": " ", "\n": " ", "\x00": " ", "\u2028": " ", "\u2029": " ", "\x85": " "})


def header_safe(text: str) -> str:
    return " ".join(str(text).translate(HEADER_BREAKS).replace("=?", "= ?").split())


def ascii_address(email: str) -> str:
    """name@例え.jp -> name@xn--r8jz45g.jp. Raises ValueError for an address no server could take."""
    local, _at, domain = email.strip().rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError("The domain cannot be written in IDNA form") from error
    if not local.isascii():
        raise ValueError("The local part is not ASCII")
    return f"{local}@{domain}"


def guardian_name(message: ContactMessage) -> str:
    """The full name as its owner writes it: 김민준 (family name first, no
    space) for names in Hangul or Han script, "Minjun Kim" otherwise."""
    first, last = message.first_name.strip(), message.last_name.strip()
    if first and last and all(is_cjk(char) for char in first + last):
        return header_safe(last + first)
    return header_safe(f"{first} {last}")


def is_cjk(char: str) -> bool:
    code = ord(char)
    return 0xAC00 <= code <= 0xD7A3 or 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF


def phone_display(phone: str, extension: str = "") -> str:
    """+821012345678 -> "+82 10-1234-5678"; with its extension if any."""
    try:
        text = phonenumbers.format_number(phonenumbers.parse(phone, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        text = phone
    return f"{text} ext. {extension}" if extension else text


def phone_country(phone: str, language: str) -> str:
    """The country a number belongs to, in the reader's language ("South Korea")."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return ""
    return localnames.country_name(region, language) if region and region != "ZZ" else ""


def long_date(moment, language: str, time_zone=None) -> str:
    """The day of a moment in `language`, where it happened (25 April 2026 / 2026년 4월 25일 / 2026年4月25日)."""
    local = timezone.localtime(moment, time_zone) if time_zone else timezone.localtime(moment)
    with translation.override(language):
        return day_words(local.date())


def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


def message_id(message: ContactMessage, kind: str) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "trialfinder.invalid"
    return f"<{message.reference.lower()}.{kind}@{domain}>"


def build_email(
    *, template: str, subject: str, context: dict, to: list[str], reply_to: list[str], headers: dict
) -> EmailMultiAlternatives:
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    email = EmailMultiAlternatives(
        subject=header_safe(subject),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
        headers=headers,
    )
    email.attach_alternative(html, "text/html")
    return email


def email_context(message: ContactMessage) -> dict:
    """What both emails show. Built inside the language override: names are translated."""
    from trials.services import site_time_zone

    language = translation.get_language()
    zone = site_time_zone(message.site)
    return {
        "message": message,
        "site": message.site,
        "trial": message.trial,
        "guardian_name": guardian_name(message),
        "preferred_language": language_name(message.preferred_language),
        "phone": phone_display(message.phone, message.phone_extension),
        "phone_country": phone_country(message.phone, language),
        "received": long_date(message.created_at, language, zone),
        "received_time": f"{timezone.localtime(message.created_at, zone):%H:%M}",
        "reply_days": message.site.reply_working_days,
        "operator_name": settings.OPERATOR_NAME,
        "operator_email": settings.OPERATOR_EMAIL,
        "site_url": settings.SITE_URL,
    }


def team_email(message: ContactMessage) -> EmailMultiAlternatives:
    """The message for the study team, in the team's language, answerable by Reply."""
    site, trial = message.site, message.trial
    with translation.override(site.local_language):
        context = email_context(message)
        subject = _("A family asks about %(trial)s (reference %(reference)s)") % {
            "trial": trial.nct_id,
            "reference": message.reference,
        }
        return build_email(
            template="team_message",
            subject=subject,
            context=context,
            to=[ascii_address(site.team_email)],
            reply_to=[formataddr((guardian_name(message), ascii_address(message.email)))],
            headers={"Message-ID": message_id(message, "team")},
        )


def guardian_copy(message: ContactMessage) -> EmailMultiAlternatives:
    """The guardian's copy, in the language they wrote in."""
    site = message.site
    with translation.override(message.language):
        context = email_context(message)
        subject = _("Your message to the study team at %(site)s (reference %(reference)s)") % {
            "site": site.facility,
            "reference": message.reference,
        }
        return build_email(
            template="guardian_copy",
            subject=subject,
            context=context,
            to=[formataddr((guardian_name(message), ascii_address(message.email)))],
            reply_to=[ascii_address(site.team_email)],
            headers={"Message-ID": message_id(message, "copy")},
        )


def send_team_email(message: ContactMessage) -> None:
    team_email(message).send(fail_silently=False)


def send_guardian_copy(message: ContactMessage) -> None:
    guardian_copy(message).send(fail_silently=False)


# ---------------------------------------------------------------------------
# Emails to followers (trials/follow.py, trials/alerts.py). Each carries one-click
# unsubscribe (RFC 8058): a POST to the List-Unsubscribe address stops every email
# at once; the same address, opened in a browser, shows a page with a button.


def follower_message_id(row) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "trialfinder.invalid"
    return f"<follower.{row.pk}.{row.created_at:%Y%m%d%H%M%S}.{row.kind}@{domain}>"


def unsubscribe_headers(row, stop_url: str) -> dict:
    return {
        "Message-ID": follower_message_id(row),
        "List-Unsubscribe": f"<{stop_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def follow_confirmation(*, row, follower, follows: list) -> EmailMultiAlternatives:
    """Asks to confirm a sign-up, in the language it asked for; or says the address already gets these alerts."""
    language = row.language or follower.language
    with translation.override(language):
        trial = follows[0].trial
        title = trial.plain_title or trial.brief_title
        already = all(follow.confirmed_at for follow in follows) and follower.language == language
        stop = stop_url(follower, language)
        context = {
            "title": title,
            "trial": trial,
            "wants_trial": any(follow.kind == Follow.Kind.TRIAL for follow in follows),
            "wants_condition": any(follow.kind == Follow.Kind.CONDITION for follow in follows),
            "condition": condition_name(trial),
            "language_name": language_local_name(language),
            "already": already,
            "confirm_url": absolute(
                "follow_confirm",
                language,
                token=confirm_token(follower=follower, follows=[follow.pk for follow in follows], language=language),
            ),
            "trial_url": absolute("trial_detail", language, nct_id=trial.nct_id),
            "stop_url": stop,
            "days": CONFIRM_DAYS,
            "operator_email": settings.OPERATOR_EMAIL,
            "site_url": settings.SITE_URL,
        }
        if already:
            subject = _("You already get alerts about %(title)s") % {"title": title}
        else:
            subject = _("Please confirm: alerts about %(title)s") % {"title": title}
        return build_email(
            template="follow_confirm",
            subject=subject,
            context=context,
            to=[ascii_address(follower.email)],
            reply_to=[settings.OPERATOR_EMAIL],
            headers=unsubscribe_headers(row, stop),
        )


def alert_digest(*, row, follower, items: list) -> EmailMultiAlternatives:
    """The day's alerts: what changed in each followed trial, and new trials, in the follower's language."""
    language = follower.language
    with translation.override(language):
        stop = stop_url(follower, language)
        if len(items) == 1 and items[0].kind == Alert.Kind.NEW_TRIAL:
            subject = _("A new trial: %(title)s") % {"title": items[0].title}
        elif len(items) == 1:
            subject = _("What changed: %(title)s") % {"title": items[0].title}
        else:
            subject = ngettext(
                "News about %(count)d trial you follow", "News about %(count)d trials you follow", len(items)
            ) % {"count": len(items)}
        context = {
            "items": items,
            "stop_url": stop,
            "operator_email": settings.OPERATOR_EMAIL,
            "site_url": settings.SITE_URL,
        }
        return build_email(
            template="alert_digest",
            subject=subject,
            context=context,
            to=[ascii_address(follower.email)],
            reply_to=[settings.OPERATOR_EMAIL],
            headers=unsubscribe_headers(row, stop),
        )


def language_local_name(code: str) -> str:
    """A language in its own name (한국어, 简体中文), as the language menus show it."""
    return translation.get_language_info(code)["name_local"]
