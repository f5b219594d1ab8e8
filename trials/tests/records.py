"""ClinicalTrials.gov API v2 study records built in code, in the shapes real records have.

Field names follow the API's documented data structure (protocolSection and its
modules). Nothing here is copied from real records: every value is made up.
"""

import copy

from trials.models import Trial
from trials.registry import parse_study, trials_import

BASE = {
    "protocolSection": {
        "identificationModule": {"nctId": "NCT09000001", "briefTitle": "A made-up study of a new treatment"},
        "statusModule": {
            "overallStatus": "RECRUITING",
            "startDateStruct": {"date": "2025-01", "type": "ACTUAL"},
            "completionDateStruct": {"date": "2029-12-31", "type": "ESTIMATED"},
            "studyFirstPostDateStruct": {"date": "2024-11-02", "type": "ACTUAL"},
            "lastUpdatePostDateStruct": {"date": "2026-10-05", "type": "ACTUAL"},
        },
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Example Children's Hospital", "class": "OTHER"}},
        "conditionsModule": {"conditions": ["Neuroblastoma"]},
        "designModule": {
            "studyType": "INTERVENTIONAL",
            "phases": ["PHASE2"],
            "enrollmentInfo": {"count": 40, "type": "ESTIMATED"},
        },
        "eligibilityModule": {
            "eligibilityCriteria": "Inclusion Criteria:\n\n* Age 1 to 18 years\n\nExclusion Criteria:\n\n* Pregnancy",
            "sex": "ALL",
            "minimumAge": "1 Year",
            "maximumAge": "18 Years",
        },
        "contactsLocationsModule": {
            "locations": [
                {
                    "facility": "Example Children's Hospital",
                    "status": "RECRUITING",
                    "city": "Busan",
                    "country": "Korea, Republic of",
                    "contacts": [{"name": "Study desk", "role": "CONTACT", "email": "study@hospital.test"}],
                    "geoPoint": {"lat": 35.1, "lon": 129.04},
                }
            ]
        },
    },
    "hasResults": False,
}


def study(nct_id: str = "NCT09000001", *, locations=None, **changes) -> dict:
    """A record; `changes` set fields by dotted path inside protocolSection ("statusModule.overallStatus")."""
    record = copy.deepcopy(BASE)
    section = record["protocolSection"]
    section["identificationModule"]["nctId"] = nct_id
    if locations is not None:
        section["contactsLocationsModule"]["locations"] = locations
    for path, value in changes.items():
        node = section
        *parents, last = path.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return record


def location(city: str, country: str = "Korea, Republic of", *, facility: str | None = None, point=None, **more):
    place = {"city": city, "country": country, "status": more.pop("status", "RECRUITING"), **more}
    if facility is not None:
        place["facility"] = facility
    if point is not None:
        place["geoPoint"] = {"lat": point[0], "lon": point[1]}
    return place


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
    """A record with no sites and only the limits given (a limit left out is not in the record)."""
    return study(
        nct_id,
        locations=[],
        identificationModule__briefTitle=title,
        statusModule__overallStatus=status,
        eligibilityModule__minimumAge=minimum_age,
        eligibilityModule__maximumAge=maximum_age,
        eligibilityModule__sex=sex,
        conditionsModule__conditions=list(conditions),
    )


def import_records(*records: dict) -> list[Trial]:
    """Imports and publishes the records, as `import_trials --publish` does for scripted set-ups."""
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
