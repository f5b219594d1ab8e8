"""Registry records in the shapes ClinicalTrials.gov gives them, built in code and imported the way
`import_trials` imports them. Each test says what it needs: an adults-only trial, a withdrawn one,
ages in months or weeks, a trial for girls only."""

from trials.models import Trial
from trials.registry import parse_study, trials_import


def study_record(
    nct_id: str,
    *,
    title: str = "A study",
    status: str = "RECRUITING",
    minimum_age: str | None = None,
    maximum_age: str | None = None,
    sex: str | None = "ALL",
    conditions: tuple[str, ...] = (),
) -> dict:
    """One study as the registry's API v2 returns it; a limit the record does not give is left out."""
    eligibility = {"sex": sex, "minimumAge": minimum_age, "maximumAge": maximum_age}
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": title},
            "statusModule": {"overallStatus": status},
            "conditionsModule": {"conditions": list(conditions)},
            "eligibilityModule": {key: value for key, value in eligibility.items() if value is not None},
        }
    }


def import_records(*records: dict) -> list[Trial]:
    # Published at once, as `import_trials --publish` does for scripted set-ups (otherwise a draft).
    trials_import(records=[parse_study(record, "test record") for record in records], publish=True)
    ids = [record["protocolSection"]["identificationModule"]["nctId"] for record in records]
    trials = list(Trial.objects.filter(nct_id__in=ids))
    return sorted(trials, key=lambda trial: ids.index(trial.nct_id))


# Real shapes, as the registry writes them.
ADULTS_ONLY = study_record(
    "NCT09000001",
    title="Immunotherapy for Advanced Non-small Cell Lung Cancer",
    minimum_age="18 Years",
    conditions=("Non-small Cell Lung Cancer",),
)
WITHDRAWN = study_record(
    "NCT09000002", title="A Withdrawn Study in Children", status="WITHDRAWN", maximum_age="17 Years"
)
TERMINATED = study_record("NCT09000003", title="A Terminated Study", status="TERMINATED", minimum_age="N/A")
INFANTS_IN_MONTHS = study_record(
    "NCT09000004", title="A Study for Infants", minimum_age="6 Months", maximum_age="21 Months"
)
NEWBORNS_IN_WEEKS = study_record("NCT09000005", title="A Study for Newborns", maximum_age="4 Weeks")
GIRLS_ONLY = study_record(
    "NCT09000006", title="A Study of Ovarian Germ Cell Tumours", sex="FEMALE", maximum_age="25 Years"
)
