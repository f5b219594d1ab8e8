"""Reads ClinicalTrials.gov API v2 study records: files, API pages, or the live record.

Every shape the API's data structure allows is read: locations without a
facility name or coordinates, every status, actual and estimated dates, phase
NA, files that start with a byte-order mark. A problem names the file and the
JSON path of the field. Nothing here writes to the database (see changes.py).
"""

import json
import math
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from trials.models import Site, Trial

API_URL = "https://clinicaltrials.gov/api/v2/studies/{nct_id}?format=json"
NCT_PATTERN = re.compile(r"^NCT\d{8}$")
STATUSES = set(Trial.Status.values)
SITE_STATUSES = set(Site.Status.values)


class RecordVanished(ConnectionError):
    """The registry answered, but has no such record (any more)."""


class RecordError(Exception):
    """A record that cannot be imported, naming the file and the field."""

    def __init__(self, source: str, field_path: str, problem: str):
        self.source, self.field_path, self.problem = source, field_path, problem
        super().__init__(f"{source}: {field_path}: {problem}")


@dataclass
class SiteFacts:
    facility: str
    city: str
    country: str
    state: str = ""
    zip: str = ""
    status: str = Site.Status.UNKNOWN
    latitude: float | None = None
    longitude: float | None = None
    email: str = ""


@dataclass
class TrialFacts:
    nct_id: str
    values: dict
    sites: list[SiteFacts] = field(default_factory=list)
    source: str = ""
    # The registry's own data version date, when the record carries one (a real download does).
    version_date: date | None = None
    # Downloaded from the registry just now (import_trials --fetch, sync_registry --fetch).
    fetched: bool = False


AGE_PATTERN = re.compile(r"^\s*(\d+)\s*(year|month|week|day)s?\s*$", re.IGNORECASE)
DAYS_PER_MONTH = 365.25 / 12


def registry_age_to_months(text: str, *, upper: bool) -> int | None:
    """A registry age such as "18 Years" in whole months, None when there is no bound.

    Both bounds are inclusive and keep the registry's own figure: "2 Years" is 24
    months, never "up to 2 years and 11 months". Weeks and days are rounded so the
    bound never excludes a child it includes (down for a maximum, up for a minimum).
    """
    match = AGE_PATTERN.match(text or "")
    if not match:
        return None
    number, unit = int(match.group(1)), match.group(2).lower()
    if unit == "year":
        return number * 12
    if unit == "month":
        return number
    months = (number * 7 if unit == "week" else number) / DAYS_PER_MONTH
    return math.floor(months) if upper else math.ceil(months)


class Reader:
    """Walks one record, collecting facts and naming the exact field of any problem."""

    def __init__(self, source: str, study: dict, path: str):
        self.source, self.study, self.path = source, study, path

    def error(self, field_path: str, problem: str) -> RecordError:
        return RecordError(self.source, f"{self.path}.{field_path}" if self.path else field_path, problem)

    def get(self, field_path: str, kind=str, required=False, default=None):
        value = self.study
        for part in field_path.split("."):
            if not isinstance(value, dict):
                raise self.error(field_path, "expected an object here")
            value = value.get(part)
            if value is None:
                if required:
                    raise self.error(field_path, "is missing")
                return default
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(field_path, f"must be {KIND_NAMES[kind]}, not {type(value).__name__}")
        return value

    def strings(self, field_path: str) -> list[str]:
        values = self.get(field_path, list, default=[])
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise self.error(f"{field_path}[{index}]", "must be text")
        return values


KIND_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    list: "a list",
    dict: "an object",
    bool: "true or false",
}


def parse_study(study, source: str, path: str = "") -> TrialFacts:
    if not isinstance(study, dict):
        raise RecordError(source, path or "(top level)", "a study record must be a JSON object")
    r = Reader(source, study, path)
    p = "protocolSection"
    r.get(p, dict, required=True)
    nct_id = r.get(f"{p}.identificationModule.nctId", required=True).strip().upper()
    if not NCT_PATTERN.match(nct_id):
        raise r.error(f"{p}.identificationModule.nctId", f"{nct_id!r} is not an NCT number such as NCT01234567")
    status = r.get(f"{p}.statusModule.overallStatus", default=Trial.Status.UNKNOWN)
    if status not in STATUSES:
        raise r.error(f"{p}.statusModule.overallStatus", f"{status!r} is not a registry status")
    minimum_age = r.get(f"{p}.eligibilityModule.minimumAge", default="")
    maximum_age = r.get(f"{p}.eligibilityModule.maximumAge", default="")
    enrollment = r.get(f"{p}.designModule.enrollmentInfo.count", int)
    if enrollment is not None and enrollment < 0:
        raise r.error(f"{p}.designModule.enrollmentInfo.count", "cannot be below 0")
    values = {
        "brief_title": r.get(f"{p}.identificationModule.briefTitle", required=True),
        "official_title": r.get(f"{p}.identificationModule.officialTitle", default=""),
        "acronym": r.get(f"{p}.identificationModule.acronym", default=""),
        "org_study_id": r.get(f"{p}.identificationModule.orgStudyIdInfo.id", default=""),
        "secondary_ids": [
            {"id": item.get("id", ""), "type": item.get("type", "")}
            for item in r.get(f"{p}.identificationModule.secondaryIdInfos", list, default=[])
            if isinstance(item, dict)
        ],
        "overall_status": status,
        "status_verified": r.get(f"{p}.statusModule.statusVerifiedDate", default=""),
        "sponsor": r.get(f"{p}.sponsorCollaboratorsModule.leadSponsor.name", default=""),
        "collaborators": [
            item.get("name", "")
            for item in r.get(f"{p}.sponsorCollaboratorsModule.collaborators", list, default=[])
            if isinstance(item, dict)
        ],
        "conditions": r.strings(f"{p}.conditionsModule.conditions"),
        "keywords": r.strings(f"{p}.conditionsModule.keywords"),
        "study_type": r.get(f"{p}.designModule.studyType", default=""),
        "phases": r.strings(f"{p}.designModule.phases"),
        "allocation": r.get(f"{p}.designModule.designInfo.allocation", default=""),
        "intervention_model": r.get(f"{p}.designModule.designInfo.interventionModel", default=""),
        "masking": r.get(f"{p}.designModule.designInfo.maskingInfo.masking", default=""),
        "primary_purpose": r.get(f"{p}.designModule.designInfo.primaryPurpose", default=""),
        "enrollment": enrollment,
        "enrollment_type": date_type(r, f"{p}.designModule.enrollmentInfo.type"),
        "interventions": [
            {"type": item.get("type", ""), "name": item.get("name", "")}
            for item in r.get(f"{p}.armsInterventionsModule.interventions", list, default=[])
            if isinstance(item, dict)
        ],
        "primary_outcomes": [
            {"measure": item.get("measure", ""), "time_frame": item.get("timeFrame", "")}
            for item in r.get(f"{p}.outcomesModule.primaryOutcomes", list, default=[])
            if isinstance(item, dict)
        ],
        "sex": r.get(f"{p}.eligibilityModule.sex", default=""),
        "eligibility_text": r.get(f"{p}.eligibilityModule.eligibilityCriteria", default="").strip(),
        "minimum_age": minimum_age,
        "maximum_age": maximum_age,
        "min_age_months": registry_age_to_months(minimum_age, upper=False),
        "max_age_months": registry_age_to_months(maximum_age, upper=True),
        "start_date": partial_date(r, f"{p}.statusModule.startDateStruct.date"),
        "start_date_type": date_type(r, f"{p}.statusModule.startDateStruct.type"),
        "primary_completion_date": partial_date(r, f"{p}.statusModule.primaryCompletionDateStruct.date"),
        "completion_date": partial_date(r, f"{p}.statusModule.completionDateStruct.date"),
        "completion_date_type": date_type(r, f"{p}.statusModule.completionDateStruct.type"),
        "first_posted": partial_date(r, f"{p}.statusModule.studyFirstPostDateStruct.date"),
        "last_update_posted": partial_date(r, f"{p}.statusModule.lastUpdatePostDateStruct.date"),
    }
    locations = r.get(f"{p}.contactsLocationsModule.locations", list, default=[])
    sites = [parse_location(r, f"{p}.contactsLocationsModule.locations[{i}]", loc) for i, loc in enumerate(locations)]
    # A record downloaded from the registry carries the date of the registry's data version.
    version = partial_date(r, "derivedSection.miscInfoModule.versionHolder")
    version_date = date.fromisoformat(version) if len(version) == 10 else None
    return TrialFacts(nct_id=nct_id, values=values, sites=sites, source=source, version_date=version_date)


def date_type(r: Reader, field_path: str) -> str:
    value = r.get(field_path, default="")
    if value and value not in Trial.DateType.values:
        raise r.error(field_path, f"{value!r} is not ACTUAL or ESTIMATED")
    return value


def partial_date(r: Reader, field_path: str) -> str:
    value = r.get(field_path, default="")
    if value and not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", value):
        raise r.error(field_path, f"{value!r} is not a date like 2024-07 or 2024-07-19")
    return value


def parse_location(r: Reader, field_path: str, location) -> SiteFacts:
    if not isinstance(location, dict):
        raise r.error(field_path, "must be an object")
    sub = Reader(r.source, location, f"{r.path + '.' if r.path else ''}{field_path}")
    status = sub.get("status", default=Site.Status.UNKNOWN)
    if status not in SITE_STATUSES:
        raise sub.error("status", f"{status!r} is not a registry recruiting status")
    latitude = sub.get("geoPoint.lat", float)
    longitude = sub.get("geoPoint.lon", float)
    if latitude is not None and not -90 <= latitude <= 90:
        raise sub.error("geoPoint.lat", "must be between -90 and 90")
    if longitude is not None and not -180 <= longitude <= 180:
        raise sub.error("geoPoint.lon", "must be between -180 and 180")
    emails = [c.get("email", "") for c in sub.get("contacts", list, default=[]) if isinstance(c, dict)]
    # Many real records leave out the facility name (the site is named by its city); some leave out more.
    facts = SiteFacts(
        facility=" ".join(sub.get("facility", default="").split()),
        city=" ".join(sub.get("city", default="").split()),
        country=" ".join(sub.get("country", default="").split()),
        state=" ".join(sub.get("state", default="").split()),
        zip=sub.get("zip", default="").strip(),
        status=status,
        latitude=latitude,
        longitude=longitude,
        email=next((e.strip() for e in emails if isinstance(e, str) and e.strip()), ""),
    )
    if not (facts.facility or facts.city or facts.country):
        raise sub.error("facility", "a location needs at least a facility, a city or a country")
    return facts


def read_file(path: Path) -> list[TrialFacts]:
    """One study object, or a page {"studies": [...]} as the API returns it."""
    source = str(path)
    try:
        # utf-8-sig: files saved by some editors and spreadsheet tools start with a byte-order mark.
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise RecordError(source, "(file)", f"cannot be read: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RecordError(source, "(file)", f"is not valid JSON: {error}") from None
    return parse_payload(data, source)


def parse_payload(data, source: str) -> list[TrialFacts]:
    if isinstance(data, dict) and "studies" in data:
        if not isinstance(data["studies"], list):
            raise RecordError(source, "studies", "must be a list of study records")
        return [parse_study(study, source, f"studies[{i}]") for i, study in enumerate(data["studies"])]
    return [parse_study(data, source)]


def fetch(nct_id: str, timeout: float = 20) -> list[TrialFacts]:
    """Downloads the live record from the registry's public API."""
    nct_id = nct_id.strip().upper()
    if not NCT_PATTERN.match(nct_id):
        raise RecordError(nct_id, "nctId", "is not an NCT number such as NCT01234567")
    url = API_URL.format(nct_id=nct_id)
    headers = {"Accept": "application/json", "User-Agent": "TrialFinder importer"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (API_URL is a fixed https URL)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise RecordVanished(f"ClinicalTrials.gov has no record {nct_id} (it answered 404).") from None
        raise ConnectionError(f"ClinicalTrials.gov answered {error.code} for {nct_id}.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ConnectionError(
            f"Could not reach ClinicalTrials.gov ({reason}). This machine may be offline: "
            "import a saved record file instead (import_trials FILE)."
        ) from None
    except json.JSONDecodeError:
        raise ConnectionError(f"ClinicalTrials.gov sent something that is not JSON for {nct_id}.") from None
    records = parse_payload(data, url)
    for record in records:
        record.fetched = True
    return records
