"""Places and countries as local readers write them, and each country's time zone."""

import pytest

from trials.geo import nearest_place, resolve_place
from trials.localnames import country_code, country_name, place_label, time_zone_name


@pytest.mark.parametrize(
    ("typed", "korean", "chinese"),
    [
        ("Seoul", "서울 (대한민국)", "首尔（韩国）"),  # not the old name 경성
        ("Guangzhou", "광저우 (중국)", "广州（中国）"),
        ("Shenzhen", "선전 (중국)", "深圳（中国）"),  # not the old county name 宝安
        ("Beijing", "베이징 (중국)", "北京（中国）"),
        ("Incheon", "인천 (대한민국)", "仁川（韩国）"),
    ],
)
def test_places_have_their_local_names(typed, korean, chinese):
    place = resolve_place(typed).place
    assert (place_label(place, "ko"), place_label(place, "zh-hans")) == (korean, chinese)
    assert place_label(place, "en") == f"{place.name}, {country_name(place.country_code, 'en')}"


def test_ambiguous_candidates_are_told_apart_by_country_in_each_language():
    candidates = resolve_place("廣州").candidates
    assert [place_label(place, "zh-hans") for place in candidates] == ["广州（中国）", "广州（韩国）"]
    assert [place_label(place, "ko") for place in candidates] == ["광저우 (중국)", "광주 (대한민국)"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Korea, Republic of", "KR"),
        ("South Korea", "KR"),
        ("China", "CN"),
        ("대한민국", "KR"),
        ("中国", "CN"),
        ("", None),
    ],
)
def test_country_names_in_every_spelling_give_the_country(name, code):
    assert country_code(name) == code


def test_time_zones_by_country():
    assert time_zone_name("KR", "UTC") == "Asia/Seoul"
    assert time_zone_name("CN", "UTC") == "Asia/Shanghai"
    assert time_zone_name(None, "UTC") == "UTC"


def test_a_device_position_is_named_after_the_town_not_the_street():
    assert nearest_place(37.55, 126.99).name == "Seoul"
    assert nearest_place(0.0, -160.0) is None  # the open Pacific: no place within reach
