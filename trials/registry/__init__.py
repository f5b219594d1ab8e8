"""ClinicalTrials.gov records: reading them (records.py) and storing them, with staff review of changes (changes.py)."""

from trials.registry.changes import (
    ImportReport,
    change_accept,
    change_reject,
    changes_decide,
    changes_record,
    trials_import,
)
from trials.registry.records import (
    AGE_PATTERN,
    NCT_PATTERN,
    RecordError,
    RecordVanished,
    SiteFacts,
    TrialFacts,
    fetch,
    parse_payload,
    parse_study,
    read_file,
    registry_age_to_months,
)

__all__ = [
    "AGE_PATTERN",
    "NCT_PATTERN",
    "ImportReport",
    "RecordError",
    "RecordVanished",
    "SiteFacts",
    "TrialFacts",
    "change_accept",
    "change_reject",
    "changes_decide",
    "changes_record",
    "fetch",
    "parse_payload",
    "parse_study",
    "read_file",
    "registry_age_to_months",
    "trials_import",
]
