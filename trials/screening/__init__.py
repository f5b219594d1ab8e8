"""The pre-screener below the views: its question bank and rules, and what a result says.

The pages (`views/screening.py`) and the JSON API (`views/api_screening.py`) both
start from `screening_bank()`: the questions and, for every published trial
that may still enrol, its rules from the registry record side by side with the
rules staff encoded. The bank is built once per content version and kept in
this process. `screen()` runs the engine (`trials/eligibility/`) over one
guardian's answers and says, in the active language, what it found: each
rule with its reason, the outcome, and the questions to take to the doctor.

Nothing here stores answers or touches a request.
"""

from trials.screening.bank import CLOSED_STATUSES, Bank, ScreenedTrial, bank_load, may_enrol, screening_bank
from trials.screening.results import Line, Said, Screening, TrialScreen, screen
from trials.screening.words import answer_label, long_date, reason_text, yes_no_labels

__all__ = [
    "CLOSED_STATUSES",
    "Bank",
    "Line",
    "Said",
    "ScreenedTrial",
    "Screening",
    "TrialScreen",
    "answer_label",
    "bank_load",
    "long_date",
    "may_enrol",
    "reason_text",
    "screen",
    "screening_bank",
    "yes_no_labels",
]
