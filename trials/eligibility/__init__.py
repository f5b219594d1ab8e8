"""The pre-screener's rule engine: plain Python over plain data.

It takes the question bank, each trial's rules, the guardian's answers and
today's date, and says for each trial whether the child may qualify, does not
seem to qualify, or whether more information is needed. It never sees a request
and never writes to the database; the web pages and the JSON API both call it
through `trials/screening/`.

Conventions, decided once here:
- "Not sure" (and a question left out) makes a rule unknown, never met.
- An inclusion rule says who can join: it is met when the answer fits. An
  exclusion rule describes who cannot join: it is met when the child is clear
  of it, not met when the answer matches it.
- A trial may qualify only when every rule is met *and* staff have marked its
  published criteria complete. Until then the best it can say is "more
  information needed": rules we do not know can still rule a child out.
- Ages are counted in whole units, in the unit the rule uses: a child of 2 years
  and 11 months is 2 years old, and 35 months old. When the anniversary day does
  not exist in a month (born on 31 January, or on 29 February in a common
  year), it falls on the 1st of the next month, which is what "month
  difference, minus one if the day is not reached yet" gives.
"""

from trials.eligibility.answers import (
    MESSAGES,
    answers_parse,
    date_parse,
    is_visible,
    questions_for,
    visible_answers,
    visible_questions,
)
from trials.eligibility.checks import rule_problems
from trials.eligibility.registry import registry_age, registry_rules
from trials.eligibility.rules import (
    BIRTH_DATE,
    NO,
    OUTCOME_ORDER,
    SEX,
    STAFF_OPERATORS,
    UNSURE,
    YES,
    YES_NO_VALUES,
    Age,
    Kind,
    Operator,
    Outcome,
    QuestionSpec,
    Reason,
    Rule,
    RuleKind,
    RuleResult,
    Source,
    Status,
    TrialResult,
    TrialRules,
    age_in_months,
    age_status,
    rule_status,
    trial_evaluate,
    trials_evaluate,
)

__all__ = [
    "BIRTH_DATE",
    "MESSAGES",
    "NO",
    "OUTCOME_ORDER",
    "SEX",
    "STAFF_OPERATORS",
    "UNSURE",
    "YES",
    "YES_NO_VALUES",
    "Age",
    "Kind",
    "Operator",
    "Outcome",
    "QuestionSpec",
    "Reason",
    "Rule",
    "RuleKind",
    "RuleResult",
    "Source",
    "Status",
    "TrialResult",
    "TrialRules",
    "age_in_months",
    "age_status",
    "answers_parse",
    "date_parse",
    "is_visible",
    "questions_for",
    "registry_age",
    "registry_rules",
    "rule_problems",
    "rule_status",
    "trial_evaluate",
    "trials_evaluate",
    "visible_answers",
    "visible_questions",
]
