"""GET /api/v1/trials/<NCT ID>/sites?near=..."""

import pytest

from trials.models import Site, Trial

URL = "/api/v1/trials/{}/sites"


def test_sites_by_distance_from_a_korean_name(client, trials_data):
    response = client.get(URL.format("NCT06516679"), {"near": "부산"})
    assert response.status_code == 200
    body = response.json()
    assert body["near"]["name"] == "Busan, South Korea" and body["near"]["country_code"] == "KR"
    [site] = body["sites"]
    assert site["name"] == "Severance Hospital" and site["city"] == "Seoul"
    assert site["status"] == "UNKNOWN" and site["recruiting"] is False
    assert 300 < site["distance_km"] < 340


def test_coordinates_and_order(client, trials_data):
    trial = Trial.objects.get(nct_id="NCT05303727")
    Site.objects.create(
        trial=trial,
        facility="Synthetic far site",
        city="Far",
        country="X",
        latitude=-33.9,
        longitude=151.2,
        status="RECRUITING",
    )
    body = client.get(URL.format("nct05303727"), {"near": "23.13,113.26"}).json()
    names = [site["name"] for site in body["sites"]]
    assert names[0].startswith("Sun Yat-Sen Memorial Hospital")
    assert names[1] == "Synthetic far site"
    assert body["sites"][0]["distance_km"] < 10
    assert body["sites"][1]["recruiting"] is True
    assert body["near"]["latitude"] == 23.13


@pytest.mark.parametrize(
    ("near", "message"),
    [
        ("", "Add ?near="),
        ("Qqqzzz town", "could not find this place"),
        ("91,200", "not on the map"),
        ("x" * 201, "too long"),
    ],
)
def test_bad_places_are_400_with_a_message(client, trials_data, near, message):
    response = client.get(URL.format("NCT06516679"), {"near": near})
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_an_ambiguous_name_lists_candidates_that_can_be_used(client, trials_data):
    response = client.get(URL.format("NCT06516679"), {"near": "廣州"})
    assert response.status_code == 400
    candidates = response.json()["candidates"]
    assert {c["country_code"] for c in candidates} == {"CN", "KR"}
    again = client.get(URL.format("NCT06516679"), {"near": candidates[0]["near"]})
    assert again.status_code == 200
    assert again.json()["near"]["name"] == f"{candidates[0]['name']}, {candidates[0]['country']}"


def test_unknown_trial_is_404(client, trials_data):
    assert client.get(URL.format("NCT00000000"), {"near": "Seoul"}).status_code == 404
