"""Checking a rule before it is saved: the admin and the content files."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from trials.eligibility.rules import BIRTH_DATE, STAFF_OPERATORS, UNSURE, Kind, Operator, QuestionSpec, RuleKind


def rule_problems(
    *,
    question: QuestionSpec | None,
    operator: str,
    values: object,
    kind: str = RuleKind.INCLUSION,
    question_key: str | None = None,
    others: Mapping[str, QuestionSpec] | None = None,
) -> dict[str, str]:
    """What is wrong with a rule, by field ("question", "operator", "values"); empty when it is sound.

    `question_key` names the question when `question` could not be found.
    `others` are the questions an "every answer yes" rule names in its values.
    """
    if question is None:
        if question_key:
            return {"question": _("There is no question with the key “%(key)s”.") % {"key": question_key}}
        if operator or values:
            return {"question": _("Choose the question this rule reads, or clear the comparison and the values.")}
        return {}
    if not operator:
        return {"operator": _("Choose how the answer is compared.")}
    if operator not in STAFF_OPERATORS:
        return {"operator": _("Unknown comparison “%(operator)s”.") % {"operator": operator}}
    if operator == Operator.ALL_YES:
        return _route_problems(question, values, kind, others or {})
    if not isinstance(values, list | tuple) or not values:
        return {"values": _("Give at least one value.")}

    if operator in (Operator.IN, Operator.NOT_IN):
        if question.kind == Kind.DATE:
            return {"question": _("This comparison needs a yes/no question or a question with choices, not a date.")}
        allowed = [v for v in question.allowed_values() if v != UNSURE]
        if UNSURE in values:
            return {"values": _("“unsure” cannot be part of a rule: “Not sure” always leaves the criterion unknown.")}
        wrong = [str(v) for v in values if v not in allowed]
        if wrong:
            return {
                "values": _("“%(wrong)s” is not an answer to “%(key)s”. Its answers are: %(allowed)s.")
                % {"wrong": ", ".join(wrong), "key": question.key, "allowed": ", ".join(allowed)}
            }
        return {}

    # The age comparisons take one whole number.
    if len(values) != 1 or isinstance(values[0], bool) or not isinstance(values[0], int) or values[0] < 0:
        return {"values": _("Give one whole number, for example 12.")}
    if question.kind != Kind.DATE:
        return {"question": _("This comparison needs a date question.")}
    if operator == Operator.DIAGNOSED_BEFORE_AGE_MONTHS and question.key == BIRTH_DATE:
        return {"question": _("Choose the date of diagnosis: the age is counted from the date of birth to it.")}
    if operator == Operator.AGE_AT_MOST_YEARS and question.key != BIRTH_DATE:
        return {"question": _("Choose the date of birth: the age today is counted from it.")}
    return {}


def _route_problems(question: QuestionSpec, values: object, kind: str, others: Mapping[str, QuestionSpec]) -> dict:
    if kind != RuleKind.INCLUSION:
        return {"operator": _("“Every answer is yes” describes a way to join: use it for a who-can-join rule.")}
    if question.kind != Kind.YES_NO:
        return {"question": _("This comparison needs yes/no questions.")}
    if not isinstance(values, list | tuple):
        return {"values": _('Give the keys of the other yes/no questions as a list, for example ["surgery_done"].')}
    for key in values:
        other = others.get(key) if isinstance(key, str) else None
        if other is None or other.kind != Kind.YES_NO or key == question.key:
            return {"values": _("“%(key)s” is not another yes/no question.") % {"key": key}}
    return {}
