"""JSON-LD on the pages, checked against schema.org's own vocabulary (trials/tests/data/schemaorg.json)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from trials.tests.conftest import clear_caches

VOCABULARY = json.loads((Path(__file__).parent / "data" / "schemaorg.json").read_text())
PAGES = [
    f"{prefix}{path}"
    for prefix in ("", "/ko", "/zh-hans")
    for path in ("/trials/NCT06516679/", "/trials/NCT05303727/", "/faq/")
]

pytestmark = pytest.mark.usefixtures("trials_data")


def blocks(client, url) -> list[dict]:
    clear_caches()
    html = client.get(url).content.decode()
    return [json.loads(text) for text in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


def problems(node, where="") -> list[str]:
    """Everything in a JSON-LD node that schema.org does not define, or that is empty."""
    found = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            found += problems(item, f"{where}[{index}]")
        return found
    if not isinstance(node, dict):
        return found
    kind = node.get("@type")
    allowed = VOCABULARY["types"].get(kind)
    if allowed is None:
        return [f"{where}: type {kind!r} is not in the fixture (regenerate it if schema.org has it)"]
    for key, value in node.items():
        path = f"{where}.{key}"
        if key.startswith("@"):
            continue
        if key not in allowed or key in VOCABULARY["retired_properties"]:
            found.append(f"{path}: {kind} has no property {key!r}")
        if value in ("", None, [], {}):
            found.append(f"{path}: empty")
        if isinstance(value, str) and value.startswith("https://schema.org/"):
            member = value.removeprefix("https://schema.org/")
            if not any(member in members for members in VOCABULARY["enumerations"].values()):
                found.append(f"{path}: {value} is not an enumeration member")
        found += problems(value, path)
    return found


@pytest.mark.parametrize("url", PAGES)
def test_json_ld_uses_only_schema_org_types_and_properties_and_nothing_empty(client, url):
    data = blocks(client, url)
    assert data
    for block in data:
        assert block["@context"] == "https://schema.org"
        assert not problems(block, block["@type"])


def test_the_checker_catches_what_schema_org_does_not_define():
    bad = {"@type": "MedicalTrial", "phase": "Phase 2", "name": "", "status": "https://schema.org/Maybe"}
    found = problems(bad, "MedicalTrial")
    assert any("phase" in p for p in found)
    assert any("name: empty" in p for p in found)
    assert any("Maybe" in p for p in found)
    assert problems({"@type": "Hospitl"})


@pytest.mark.parametrize(
    ("prefix", "sponsor"),
    [("", "Sun Yat-Sen Memorial Hospital of Sun Yat-Sen University"), ("/zh-hans", "中山大学孙逸仙纪念医院")],
)
def test_json_ld_names_the_sponsor_and_site_in_the_pages_language(client, prefix, sponsor):
    (trial,) = [b for b in blocks(client, f"{prefix}/trials/NCT05303727/") if b["@type"] == "MedicalTrial"]
    assert trial["sponsor"]["name"] == sponsor
    assert trial["url"] == f"{settings.SITE_URL}{prefix}/trials/NCT05303727/"
    assert trial["status"] == "https://schema.org/NotYetRecruiting"
