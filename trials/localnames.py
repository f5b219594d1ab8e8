"""Places and countries as a local reader writes them, and each country's time zone.

Country names and time zones come from CLDR (Babel). Place names come from the
offline place list (trials/data/places.tsv.gz): among a place's alternate names,
the Hangul one for Korean and the Han one, in simplified characters, for
Chinese. A place without such a name keeps its English name.
"""

import functools
import gzip
import unicodedata
from collections import Counter

import zhconv
from babel import Locale
from babel.core import get_global

from trials.geo import COUNTRY_ALIASES, PLACES_FILE, name_key

BABEL_LOCALES = {"en": "en", "ko": "ko", "zh-hans": "zh_Hans"}


@functools.cache
def _locale(language: str) -> Locale:
    return Locale.parse(BABEL_LOCALES.get(language, "en"))


@functools.cache
def _codes_by_english_name() -> dict[str, str]:
    codes = {name_key(name): code for code, name in _locale("en").territories.items() if len(code) == 2}
    codes.update(COUNTRY_ALIASES)
    return codes


def country_code(name: str) -> str | None:
    """ "China", "Korea, Republic of", "South Korea", "대한민국" -> ISO code."""
    if not name:
        return None
    codes = _codes_by_english_name()
    key = name_key(name)
    if key in codes:
        return codes[key]
    # The registry writes "Korea, Republic of"; CLDR writes "South Korea".
    head, _sep, tail = name.partition(",")
    return codes.get(name_key(f"{tail} {head}")) or codes.get(name_key(head))


def country_name(code: str, language: str) -> str:
    return _locale(language).territories.get(code, code)


def time_zone_name(code: str | None, default: str) -> str:
    """The main time zone of a country (the first CLDR lists), else the default."""
    zones = get_global("territory_zones").get(code or "", [])
    return zones[0] if zones else default


def is_hangul(text: str) -> bool:
    return bool(text) and all(0xAC00 <= ord(char) <= 0xD7A3 for char in text)


def is_han(text: str) -> bool:
    return bool(text) and all(unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH") for char in text)


_names_cache: dict[int, tuple[str, str]] = {}


def local_names(geonameid: int) -> tuple[str, str]:
    """(Korean, Chinese) names of one place, or "" where it has none."""
    if geonameid not in _names_cache:
        load_local_names([geonameid])
    return _names_cache.get(geonameid, ("", ""))


def load_local_names(geonameids) -> None:
    """Reads the names of these places from the place file, in one pass.

    Only ambiguous names (a handful of candidates) and chosen places ever
    ask, so the names are not kept in memory for every place.
    """
    wanted = {str(pk) for pk in geonameids if pk not in _names_cache}
    if not wanted:
        return
    with gzip.open(PLACES_FILE, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.startswith("P\t"):
                continue
            parts = line.rstrip("\n").split("\t")
            if parts[1] in wanted:
                names = parts[8].split("|") if parts[8] else []
                _names_cache[int(parts[1])] = (pick_korean(names), pick_chinese(names))
                wanted.discard(parts[1])
                if not wanted:
                    break
    if len(_names_cache) > 10_000:  # a bound, never reached by real use
        _names_cache.clear()


# Administrative endings, longest first: 서울특별시 and 深圳市 are the city's official names.
SUFFIXES = ("특별자치시", "특별시", "광역시", "시", "군", "广域市", "廣域市", "広域市", "特别市", "市", "县", "縣")


def pick_korean(names: list[str]) -> str:
    # On a tie the longer name: a modern transliteration (베이징) over an old reading (북경).
    return most_agreed([name for name in names if is_hangul(name)], prefer_longer=True)


def pick_chinese(names: list[str]) -> str:
    """The simplified form most of the place's Han names agree on."""
    return most_agreed([zhconv.convert(name, "zh-cn") for name in names if is_han(name)], prefer_longer=False)


def most_agreed(names: list[str], *, prefer_longer: bool) -> str:
    """The name most spellings share once their administrative ending is
    dropped (서울, 서울특별시 and 서울시 all vote for 서울, outvoting an old
    name such as 경성). A name also written with an official ending gets one
    more vote (深圳市 makes 深圳 win over 宝安)."""
    votes = Counter()
    for name in names:
        base = without_suffix(name)
        votes[base] += 2 if base != name else 1
    if not votes:
        return ""
    direction = -1 if prefer_longer else 1
    return min(votes, key=lambda name: (-votes[name], direction * len(name), name))


def without_suffix(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def place_label(place, language: str) -> str:
    """Guangzhou, China / 광저우 (중국) / 广州（中国）."""
    korean, chinese = local_names(place.geonameid) if language in ("ko", "zh-hans") else ("", "")
    country = country_name(place.country_code, language) if place.country_code else place.country
    if language == "ko":
        return f"{korean or place.name} ({country})"
    if language == "zh-hans":
        return f"{chinese or place.name}（{country}）"
    return f"{place.name}, {country}"
