"""What the pre-screener says, in the active language: dates, answers, reasons and outcomes."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import TYPE_CHECKING

from django.utils import formats
from django.utils.translation import gettext, ngettext

from trials import eligibility
from trials.eligibility import Outcome, Reason, RuleResult, Status
from trials.models import Question, Trial

if TYPE_CHECKING:
    from trials.screening.bank import Bank


def long_date(day: datetime.date) -> str:
    """25 April 2026, 2026년 4월 25일, 2026年4月25日 (trialfinder/formats): never a bare ISO date."""
    return formats.date_format(day, "DATE_FORMAT")


def yes_no_labels() -> dict[str, str]:
    return {eligibility.YES: gettext("Yes"), eligibility.NO: gettext("No"), eligibility.UNSURE: gettext("Not sure")}


def answer_label(question: Question, value) -> str:
    if isinstance(value, datetime.date):
        return long_date(value)
    if question.kind == Question.Kind.YES_NO:
        return yes_no_labels().get(value, str(value))
    for choice in question.choices.all():
        if choice.value == value:
            return choice.label
    return gettext("Not sure") if value == eligibility.UNSURE else str(value)


def age_words(number: int, unit: str) -> str:
    forms = {
        "years": lambda: ngettext("%(count)d year", "%(count)d years", number),
        "months": lambda: ngettext("%(count)d month", "%(count)d months", number),
        "weeks": lambda: ngettext("%(count)d week", "%(count)d weeks", number),
        "days": lambda: ngettext("%(count)d day", "%(count)d days", number),
        "hours": lambda: ngettext("%(count)d hour", "%(count)d hours", number),
        "minutes": lambda: ngettext("%(count)d minute", "%(count)d minutes", number),
    }
    return forms[unit]() % {"count": number}


def registry_rule_text(rule: eligibility.Rule, trial: Trial) -> str:
    """A rule from the trial's record, saying where it came from: the registry, or copies of its record."""
    copies = trial.facts_source == Trial.FactsSource.COMPILED
    if rule.operator in (eligibility.Operator.AGE_AT_LEAST, eligibility.Operator.AGE_AT_MOST):
        age = age_words(*rule.values)
        if rule.operator == eligibility.Operator.AGE_AT_LEAST:
            if copies:
                return gettext("Age %(age)s or older (from copies of the registry record)") % {"age": age}
            return gettext("Age %(age)s or older (from the registry)") % {"age": age}
        if copies:
            return gettext("Age %(age)s or younger (from copies of the registry record)") % {"age": age}
        return gettext("Age %(age)s or younger (from the registry)") % {"age": age}
    if rule.values == ("girl",):
        if copies:
            return gettext("Girls only (from copies of the registry record)")
        return gettext("Girls only (from the registry)")
    if copies:
        return gettext("Boys only (from copies of the registry record)")
    return gettext("Boys only (from the registry)")


def age_reason(age: eligibility.Age) -> str:
    """The child's age in the unit that fits the rule: weeks or days for small limits, months for babies."""
    if age.unit == "weeks":
        weeks = age.days // 7
        return ngettext("Your child is %(weeks)d week old.", "Your child is %(weeks)d weeks old.", weeks) % {
            "weeks": weeks
        }
    if age.unit in ("days", "hours", "minutes"):
        return ngettext("Your child is %(days)d day old.", "Your child is %(days)d days old.", age.days) % {
            "days": age.days
        }
    if age.months < 24:
        # A baby's age is said in months: "0 years old" helps nobody.
        return ngettext("Your child is %(months)d month old.", "Your child is %(months)d months old.", age.months) % {
            "months": age.months
        }
    years = age.months // 12
    return ngettext("Your child is %(years)d year old.", "Your child is %(years)d years old.", years) % {"years": years}


def unit_name(unit: str) -> str:
    return {
        "years": gettext("year"),
        "months": gettext("month"),
        "weeks": gettext("week"),
    }.get(unit, gettext("day"))


def reason_text(result: RuleResult, bank: Bank) -> str:
    """One plain line saying why a rule came out as it did."""
    rule = result.rule
    if result.reason == Reason.MISSING:
        if rule.operator == eligibility.Operator.DIAGNOSED_BEFORE_AGE_MONTHS:
            return gettext("We need both the date of birth and the date of diagnosis.")
        return gettext("Not answered. It may not have been asked, because of an earlier answer.")
    if result.reason == Reason.UNSURE:
        return gettext("You answered “Not sure”.")
    if result.reason == Reason.OTHER_ROUTE:
        return gettext(
            "You answered “No” to one part. This study may have other ways to join, but we do not know them."
        )
    if result.reason == Reason.DIAGNOSED_AT_MONTHS:
        months = result.detail
        return ngettext(
            "Your child was diagnosed at %(months)d month old.",
            "Your child was diagnosed at %(months)d months old.",
            months,
        ) % {"months": months}
    if result.reason == Reason.AGE:
        return age_reason(result.detail)
    if result.reason == Reason.AGE_PAST_LIMIT:
        return gettext(
            "%(age)s That is past this age limit by less than a whole %(unit)s. Only the study team can say "
            "whether the limit still includes your child."
        ) % {"age": age_reason(result.detail), "unit": unit_name(result.detail.unit)}
    if result.reason == Reason.AGE_TOO_CLOSE:
        return gettext("Your child is so close to this age limit that the date of birth alone cannot tell.")
    if rule.operator == eligibility.Operator.ALL_YES:
        return gettext("You answered “Yes” to every part.")
    label = answer_label(bank.questions[rule.question], result.detail)
    return gettext("You answered: %(answer)s.") % {"answer": label}


def status_label(kind: str, status: Status) -> str:
    if status == Status.UNKNOWN:
        return gettext("Not known yet")
    if kind == eligibility.RuleKind.INCLUSION:
        return gettext("Fits") if status == Status.MET else gettext("Does not fit")
    # An exclusion that is "met" means the child is clear of it: say it that way.
    return gettext("Does not apply to your child") if status == Status.MET else gettext("Applies to your child")


def outcome_text(outcome: Outcome) -> str:
    return {
        Outcome.MAY_QUALIFY: gettext("Your child may qualify for this study."),
        Outcome.DOES_NOT_QUALIFY: gettext("Your child does not seem to qualify for this study."),
        Outcome.NEEDS_MORE_INFORMATION: gettext("We need more information to tell."),
    }[outcome]


def outcome_short(outcome: Outcome) -> str:
    """A few words, for a line per trial such as "NCT05303727: more information needed"."""
    return {
        Outcome.MAY_QUALIFY: gettext("may qualify"),
        Outcome.DOES_NOT_QUALIFY: gettext("does not seem to qualify"),
        Outcome.NEEDS_MORE_INFORMATION: gettext("more information needed"),
    }[outcome]


def left_out_text(closed: tuple[Trial, ...]) -> str:
    if not closed:
        return ""
    counts = Counter(str(trial.get_overall_status_display()) for trial in closed)
    statuses = ", ".join(f"{status} ({count})" for status, count in counts.items())
    return ngettext(
        "%(count)d trial was left out because it no longer takes new children: %(statuses)s.",
        "%(count)d trials were left out because they no longer take new children: %(statuses)s.",
        len(closed),
    ) % {"count": len(closed), "statuses": statuses}
