"""Writes schemaorg.json, the small extract of schema.org that the JSON-LD test checks against.

Run it with the official vocabulary files of a schema.org release, for example
data/releases/30.0/schemaorg-current-https-types.csv and -properties.csv from
https://github.com/schemaorg/schemaorg:

    python trials/tests/data/schemaorg_fixture.py TYPES.csv PROPERTIES.csv 30.0

It keeps the types the site's JSON-LD uses (or may use), each with every property
schema.org allows on it (its own and inherited), the members of each enumeration
those properties take, and the properties schema.org has retired.
"""

import csv
import json
import sys
from pathlib import Path

TYPES = [
    "MedicalTrial",
    "MedicalStudy",
    "Organization",
    "Hospital",
    "MedicalCondition",
    "AdministrativeArea",
    "Place",
    "PostalAddress",
    "FAQPage",
    "Question",
    "Answer",
]
ENUMERATIONS = ["MedicalStudyStatus", "MedicalTrialDesign"]
PREFIX = "https://schema.org/"


def short(uri: str) -> str:
    return uri.strip().removeprefix(PREFIX)


def main(types_csv: str, properties_csv: str, release: str) -> None:
    with open(types_csv, encoding="utf-8") as f:
        types = {short(row["id"]): row for row in csv.DictReader(f)}
    with open(properties_csv, encoding="utf-8") as f:
        properties = {short(row["id"]): row for row in csv.DictReader(f)}
    fixture = {
        "release": release,
        "source": "https://github.com/schemaorg/schemaorg/tree/main/data/releases/" + release,
        "types": {name: sorted(short(p) for p in types[name]["properties"].split(",") if p.strip()) for name in TYPES},
        "enumerations": {
            name: sorted(key for key, row in types.items() if short(row["enumerationtype"]) == name)
            for name in ENUMERATIONS
        },
        "retired_properties": sorted(key for key, row in properties.items() if row["supersededBy"].strip()),
    }
    out = Path(__file__).with_name("schemaorg.json")
    out.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"Wrote {out}: {len(TYPES)} types, release {release}.")


if __name__ == "__main__":
    main(*sys.argv[1:4])
