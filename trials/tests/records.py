"""ClinicalTrials.gov API v2 study records built in code, in the shapes real records have.

Field names follow the API's documented data structure (protocolSection and its
modules). Nothing here is copied from real records: every value is made up.
"""

import copy

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
