"""The rules a trial's registry record gives: its age limits and its sex."""

import re

from trials.eligibility.rules import BIRTH_DATE, SEX, Operator, Rule

REGISTRY_AGE = re.compile(r"^\s*(\d+)\s*(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
# The registry's sex field, and the answer to the sex question that fits it.
REGISTRY_SEX = {"FEMALE": "girl", "MALE": "boy"}


def registry_age(text: str) -> tuple[int, str] | None:
    """ "18 Years" -> (18, "years"); "N/A", "" or anything else -> None (no limit)."""
    match = REGISTRY_AGE.match(text or "")
    if not match:
        return None
    return int(match.group(1)), match.group(2).lower() + "s"


def registry_rules(*, minimum_age: str = "", maximum_age: str = "", sex: str = "") -> tuple[Rule, ...]:
    """The rules every trial's registry record gives: age limits and sex."""
    rules = []
    if (minimum := registry_age(minimum_age)) and minimum[0] > 0:
        rules.append(Rule("registry_minimum_age", "inclusion", BIRTH_DATE, Operator.AGE_AT_LEAST, minimum, "registry"))
    if maximum := registry_age(maximum_age):
        rules.append(Rule("registry_maximum_age", "inclusion", BIRTH_DATE, Operator.AGE_AT_MOST, maximum, "registry"))
    if answer := REGISTRY_SEX.get((sex or "").strip().upper()):
        rules.append(Rule("registry_sex", "inclusion", SEX, Operator.IN, (answer,), "registry"))
    return tuple(rules)
