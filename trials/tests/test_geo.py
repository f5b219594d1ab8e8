"""Place lookup and distances (trials/geo.py), and the nearest-site search."""

import math

import pytest

from trials import geo
from trials.models import Site, Trial


def test_korean_and_chinese_names_resolve_offline():
    for text in ["Busan", "부산", "부산광역시", "Pusan"]:
        result = geo.resolve_place(text)
        assert result.found, text
        assert result.place.country_code == "KR"
        assert geo.distance_km(result.latitude, result.longitude, 35.10, 129.04) < 20
    for text in ["广州", "Guangzhou", "广州市"]:
        result = geo.resolve_place(text)
        assert result.found, text
        assert result.place.country_code == "CN"
        assert geo.distance_km(result.latitude, result.longitude, 23.13, 113.26) < 20


def test_a_county_resolves():
    result = geo.resolve_place("양평군")
    assert result.found
    assert result.place.country_code == "KR"


def test_accents_case_and_spaces_do_not_matter():
    assert geo.resolve_place("  SÉOUL ").label == geo.resolve_place("seoul").label == "Seoul, South Korea"


def test_a_name_shared_by_china_and_korea_offers_both():
    result = geo.resolve_place("廣州")
    assert result.status == "ambiguous"
    countries = {place.country_code for place in result.candidates}
    assert countries == {"CN", "KR"}
    # Each candidate can be chosen by its coordinates, which resolve back to it.
    for place in result.candidates:
        again = geo.resolve_place(place.coordinates)
        assert again.found and again.place == place


def test_a_country_after_a_comma_narrows_the_choice():
    result = geo.resolve_place("廣州, Korea")
    assert result.found and result.place.country_code == "KR"


def test_unknown_place():
    result = geo.resolve_place("Nowhereville Qqq")
    assert result.status == "unknown"
    assert "could not find" in result.problem


@pytest.mark.parametrize("text", ["91,10", "-91,0", "10,181", "0,-180.5"])
def test_coordinates_off_the_map_are_invalid(text):
    result = geo.resolve_place(text)
    assert result.status == "invalid"
    assert "-90 to 90" in result.problem


def test_coordinates_are_accepted():
    result = geo.resolve_place(" 35.1796, 129.0756 ")
    assert result.found
    assert (result.latitude, result.longitude) == (35.1796, 129.0756)


def test_empty():
    assert geo.resolve_place("   ").status == "empty"


def test_great_circle_distances():
    seoul, busan, guangzhou = (37.5665, 126.9780), (35.1796, 129.0756), (23.1291, 113.2644)
    assert 320 < geo.distance_km(*seoul, *busan) < 330
    assert 1900 < geo.distance_km(*busan, *guangzhou) < 2100
    assert geo.distance_km(*seoul, *seoul) == 0
    # Across the antimeridian, the short way round.
    assert geo.distance_km(0, 179.5, 0, -179.5) == pytest.approx(111.2, abs=0.5)
    assert geo.distance_km(90, 0, -90, 0) == pytest.approx(math.pi * geo.EARTH_RADIUS_KM)


def test_boxes_split_at_the_antimeridian_and_open_at_the_poles():
    boxes = geo.bounding_boxes(0, 179.5, 200)
    assert len(boxes) == 2
    assert any(west > 170 and east == 180 for _s, _n, west, east in boxes)
    assert any(west == -180 and east < -170 for _s, _n, west, east in boxes)
    polar = geo.bounding_boxes(89.5, 10, 200)
    assert polar == [(pytest.approx(polar[0][0]), 90.0, -180.0, 180.0)]


def test_every_point_within_the_radius_is_inside_a_box():
    import random

    rng = random.Random(4)
    for _ in range(2000):
        lat, lon = rng.uniform(-89, 89), rng.uniform(-180, 180)
        radius = rng.choice([50, 500, 3000])
        boxes = geo.bounding_boxes(lat, lon, radius)
        # A point at a random bearing, just inside the radius.
        bearing, d = rng.uniform(0, 2 * math.pi), radius * 0.999 / geo.EARTH_RADIUS_KM
        phi1, lam1 = math.radians(lat), math.radians(lon)
        phi2 = math.asin(math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(bearing))
        lam2 = lam1 + math.atan2(
            math.sin(bearing) * math.sin(d) * math.cos(phi1), math.cos(d) - math.sin(phi1) * math.sin(phi2)
        )
        plat, plon = math.degrees(phi2), (math.degrees(lam2) + 540) % 360 - 180
        assert any(s <= plat <= n and w <= plon <= e for s, n, w, e in boxes), (lat, lon, radius, plat, plon)


def make_site(trial, name, lat, lon, status=Site.Status.RECRUITING, **extra):
    return Site.objects.create(
        trial=trial, facility=name, city=name, country="Testland", latitude=lat, longitude=lon, status=status, **extra
    )


@pytest.fixture
def trial(db):
    return Trial.objects.create(nct_id="NCT00000001", brief_title="A synthetic trial for tests")


def test_nearest_sites_match_a_brute_force_sort(trial):
    import random

    rng = random.Random(7)
    for number in range(300):
        make_site(trial, f"S{number}", rng.uniform(-80, 80), rng.uniform(-180, 180))
    make_site(trial, "No coordinates", None, None)
    for lat, lon in [(35.18, 129.08), (0, 179.9), (-60, -170), (85, 0)]:
        found = geo.nearest_sites(trial.sites.all(), latitude=lat, longitude=lon, limit=10)
        expected = sorted(
            (s for s in trial.sites.exclude(latitude=None)),
            key=lambda s: geo.distance_km(lat, lon, s.latitude, s.longitude),
        )[:10]
        assert [s.pk for s in found] == [s.pk for s in expected]
        assert [round(s.distance_km, 6) for s in found] == sorted(round(s.distance_km, 6) for s in found)


def test_sites_without_coordinates_come_last(trial):
    near = make_site(trial, "Near", 35.2, 129.1)
    nowhere = make_site(trial, "Nowhere", None, None)
    found = geo.nearest_sites(trial.sites.all(), latitude=35.18, longitude=129.08, limit=5)
    assert [s.pk for s in found] == [near.pk, nowhere.pk]
    assert found[1].distance_km is None


def test_the_default_is_the_nearest_recruiting_site(trial):
    make_site(trial, "Nearest but not recruiting", 35.18, 129.08, status=Site.Status.NOT_YET_RECRUITING)
    unknown = make_site(trial, "Status unknown", 35.5, 129.3, status=Site.Status.UNKNOWN)
    recruiting = make_site(trial, "Recruiting, farther", 37.56, 126.97)
    found = geo.nearest_sites(trial.sites.all(), latitude=35.18, longitude=129.08)
    assert found[1] == unknown
    assert geo.default_site(found) == recruiting


def test_no_default_when_no_site_is_recruiting(trial):
    make_site(trial, "Unknown", 35.18, 129.08, status=Site.Status.UNKNOWN)
    found = geo.nearest_sites(trial.sites.all(), latitude=35.18, longitude=129.08)
    assert geo.default_site(found) is None


def test_the_label_keeps_what_the_guardian_wrote():
    assert geo.resolve_place("부산").display_label == "부산 (Busan, South Korea)"
    assert geo.resolve_place("busan").display_label == "Busan, South Korea"
    assert geo.resolve_place("23.11667,113.25").display_label == "Guangzhou, China"
    assert geo.resolve_place("10.5,20.5").display_label == "10.5,20.5"
