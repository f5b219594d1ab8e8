"""Every email the site sends, built here from a text and an HTML template each.

Names in Korean or Chinese are safe in headers: Django encodes non-ASCII
header values (RFC 2047) and display names in addresses. Header values are
also stripped of line breaks here, whatever the form already refused, so no
value can start a header of its own.
"""

from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from trials.models import ContactMessage

HEADER_BREAKS = str.maketrans({"\r": " ", "\n": " ", "\x00": " ", "\u2028": " ", "\u2029": " ", "\x85": " "})


def header_safe(text: str) -> str:
    return " ".join(str(text).translate(HEADER_BREAKS).split())


def guardian_name(message: ContactMessage) -> str:
    """The full name as its owner writes it: 김민준 (family name first, no
    space) for names in Hangul or Han script, "Minjun Kim" otherwise."""
    first, last = message.first_name.strip(), message.last_name.strip()
    if first and last and not (first + last).isascii() and all(is_cjk(char) for char in first + last):
        return header_safe(last + first)
    return header_safe(f"{first} {last}")


def is_cjk(char: str) -> bool:
    code = ord(char)
    return 0xAC00 <= code <= 0xD7A3 or 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF


def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


def build_email(
    *, template: str, subject: str, context: dict, to: list[str], reply_to: list[str]
) -> EmailMultiAlternatives:
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    email = EmailMultiAlternatives(
        subject=header_safe(subject),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
    )
    email.attach_alternative(html, "text/html")
    return email


def email_context(message: ContactMessage) -> dict:
    """What both emails show. Built inside the language override: names are translated."""
    return {
        "message": message,
        "site": message.site,
        "trial": message.trial,
        "guardian_name": guardian_name(message),
        "preferred_language": language_name(message.preferred_language),
        "site_url": settings.SITE_URL,
    }


def team_email(message: ContactMessage) -> EmailMultiAlternatives:
    """The message for the study team, in the team's language, answerable by Reply."""
    site, trial = message.site, message.trial
    with translation.override(site.local_language):
        context = email_context(message)
        subject = _("A family asks about %(trial)s (message %(number)s)") % {
            "trial": trial.nct_id,
            "number": message.pk,
        }
        return build_email(
            template="team_message",
            subject=subject,
            context=context,
            to=[site.team_email],
            reply_to=[formataddr((guardian_name(message), message.email))],
        )


def guardian_copy(message: ContactMessage) -> EmailMultiAlternatives:
    """The guardian's copy, in the language they wrote in."""
    site = message.site
    with translation.override(message.language):
        context = email_context(message)
        subject = _("Your message to the study team at %(site)s") % {"site": site.facility}
        return build_email(
            template="guardian_copy",
            subject=subject,
            context=context,
            to=[formataddr((guardian_name(message), message.email))],
            reply_to=[site.team_email],
        )


def send_team_email(message: ContactMessage) -> None:
    team_email(message).send(fail_silently=False)


def send_guardian_copy(message: ContactMessage) -> None:
    guardian_copy(message).send(fail_silently=False)
