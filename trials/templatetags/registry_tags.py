"""Registry values (statuses, ages, phases, dates) in the reader's language.

The registry writes "2 Years", "PHASE2" and "2022-08"; a Korean reader should see
만 2세, 2상 and 2022년 8월. A value these filters do not recognise is shown as the
registry wrote it.
"""

import datetime

from django import template
from django.utils import formats
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from trials.registry import AGE_PATTERN
from trials.screening.words import long_date

register = template.Library()

# Ages given in years up to this many are also said in months: a baby's parents count in months.
INFANT_YEARS = 2


def unit_text(number: int, unit: str) -> str:
    if unit == "year":
        return ngettext("%(count)d year", "%(count)d years", number) % {"count": number}
    if unit == "month":
        return ngettext("%(count)d month", "%(count)d months", number) % {"count": number}
    if unit == "week":
        return ngettext("%(count)d week", "%(count)d weeks", number) % {"count": number}
    return ngettext("%(count)d day", "%(count)d days", number) % {"count": number}


@register.filter
def registry_age(value: str) -> str:
    """ "2 Years" → "2 years (24 months)"; "18 Years" → "18 years"."""
    match = AGE_PATTERN.match(value or "")
    if not match:
        return value
    number, unit = int(match.group(1)), match.group(2).lower()
    text = unit_text(number, unit)
    if unit == "year" and number <= INFANT_YEARS:
        return gettext("%(age)s (%(months)s)") % {"age": text, "months": unit_text(number * 12, "month")}
    return text


@register.simple_tag
def registry_age_range(trial) -> str:
    """The registry's age range, with both ends where both exist."""
    low = registry_age(trial.minimum_age) if AGE_PATTERN.match(trial.minimum_age or "") else ""
    high = registry_age(trial.maximum_age) if AGE_PATTERN.match(trial.maximum_age or "") else ""
    if low and high:
        return gettext("from %(low)s to %(high)s") % {"low": low, "high": high}
    if high:
        return gettext("%(age)s and younger") % {"age": high}
    if low:
        return gettext("%(age)s and older") % {"age": low}
    return gettext("Not stated")


def phase_label(phase: str) -> str:
    # One string per phase: Chinese writes the trial phase in Roman numerals (II期), Korean as 2상.
    labels = {
        "EARLY_PHASE1": gettext("Early phase 1"),
        "PHASE1": gettext("Phase 1"),
        "PHASE2": gettext("Phase 2"),
        "PHASE3": gettext("Phase 3"),
        "PHASE4": gettext("Phase 4"),
        "NA": gettext("Not applicable"),
    }
    return labels.get(phase, phase)


@register.filter
def registry_phases(phases: list[str]) -> str:
    return ", ".join(phase_label(phase) for phase in phases or [])


@register.filter
def registry_date(value: str) -> str:
    """A registry date ("2022-08" or "2027-03-01") in the reader's own long form."""
    if not value:
        return ""
    try:
        parts = [int(part) for part in value.split("-")]
        if len(parts) == 3:
            return formats.date_format(datetime.date(*parts), "DATE_FORMAT")
        if len(parts) == 2:
            return formats.date_format(datetime.date(parts[0], parts[1], 1), "YEAR_MONTH_FORMAT")
    except ValueError:
        pass
    return value


@register.simple_tag
def status_claim(source) -> str:
    """ "TrialX (dated 17 July 2025): Recruiting": what one source says, and when it said it."""
    values = {
        "source": format_html('<span lang="en">{}</span>', source.name),
        "status": escape(source.get_status_display()),
    }
    if source.seen_on:
        values["date"] = escape(formats.date_format(source.seen_on, "DATE_FORMAT"))
        pattern = gettext("%(source)s (dated %(date)s): %(status)s")
    else:
        pattern = gettext("%(source)s: %(status)s")
    return mark_safe(escape(pattern) % values)  # noqa: S308 (the pattern and every value are escaped)


@register.simple_tag
def provenance(trial) -> str:
    """Where the trial's registry facts came from and when, in one or two sentences: only real dates."""
    updated = registry_date(trial.last_update_posted)
    if trial.from_registry_itself:
        fetched = long_date(trial.facts_fetched_on) if trial.facts_fetched_on else ""
        if updated and fetched:
            text = gettext("From ClinicalTrials.gov. Record last updated %(updated)s; fetched %(fetched)s.")
        elif updated:
            text = gettext("From ClinicalTrials.gov. Record last updated %(updated)s.")
        elif fetched:
            text = gettext("From ClinicalTrials.gov. Fetched %(fetched)s.")
        else:
            text = gettext("From ClinicalTrials.gov.")
        return text % {"updated": updated, "fetched": fetched}
    if trial.facts_source == trial.FactsSource.COMPILED:
        if trial.facts_compiled_on:
            return gettext(
                "Compiled from public copies of the registry record on %(date)s. "
                "Not yet checked against ClinicalTrials.gov."
            ) % {"date": long_date(trial.facts_compiled_on)}
        return gettext(
            "Compiled from public copies of the registry record. Not yet checked against ClinicalTrials.gov."
        )
    return gettext("From a saved copy of the registry record. Not yet checked against ClinicalTrials.gov.")
