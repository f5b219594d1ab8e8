"""Registry values (ages, phases) in the reader's language.

The registry writes "2 Years" and "PHASE2"; a Korean reader should see 2세 and 2상.
A value these filters do not recognise is shown as the registry wrote it.
"""

import re

from django import template
from django.utils.translation import gettext, ngettext

register = template.Library()

AGE = re.compile(r"^\s*(\d+)\s*(year|month|week|day)s?\s*$", re.IGNORECASE)


@register.filter
def registry_age(value: str) -> str:
    match = AGE.match(value or "")
    if not match:
        return value
    number, unit = int(match.group(1)), match.group(2).lower()
    if unit == "year":
        return ngettext("%(count)d year", "%(count)d years", number) % {"count": number}
    if unit == "month":
        return ngettext("%(count)d month", "%(count)d months", number) % {"count": number}
    if unit == "week":
        return ngettext("%(count)d week", "%(count)d weeks", number) % {"count": number}
    return ngettext("%(count)d day", "%(count)d days", number) % {"count": number}


def phase_label(phase: str) -> str:
    if phase == "NA":
        return gettext("Not applicable")
    if match := re.fullmatch(r"(EARLY_)?PHASE(\d)", phase):
        if match.group(1):
            return gettext("Early phase %(number)s") % {"number": match.group(2)}
        return gettext("Phase %(number)s") % {"number": match.group(2)}
    return phase


@register.filter
def registry_phases(phases: list[str]) -> str:
    return ", ".join(phase_label(phase) for phase in phases or [])
