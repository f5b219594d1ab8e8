"""Nearest-site lookup with 100,000 synthetic sites, place-name lookup time, and index memory.

The sites go into a throwaway SQLite database (a temporary file, deleted
afterwards), so the real database is never touched. Half are spread over the
globe, half clustered around 200 "cities", as real hospitals are.
"""

import math
import random
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.db import connections

from trials import geo
from trials.models import Site, Trial

SITE_COUNT = 100_000
ALIAS = "sites_bench"


def throwaway_database(path: Path) -> None:
    config = {**connections.settings["default"], "ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
    config.pop("OPTIONS", None)
    connections.settings[ALIAS] = connections.configure_settings({"default": config, ALIAS: config})[ALIAS]
    with connections[ALIAS].schema_editor() as editor:
        editor.create_model(Trial)
        editor.create_model(Site)


def random_point(rng: random.Random) -> tuple[float, float]:
    # Uniform over the sphere, not over the lat/lon rectangle.
    return math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180)


def fill(rng: random.Random) -> Trial:
    trial = Trial.objects.using(ALIAS).create(nct_id="NCT99999999", brief_title="Benchmark trial")
    cities = [random_point(rng) for _ in range(200)]
    batch = []
    for number in range(SITE_COUNT):
        if number % 2:
            lat, lon = random_point(rng)
        else:
            city_lat, city_lon = rng.choice(cities)
            lat = max(-90.0, min(90.0, city_lat + rng.gauss(0, 0.5)))
            lon = (city_lon + rng.gauss(0, 0.5) + 540) % 360 - 180
        name = f"Site {number}"
        status = Site.Status.RECRUITING if number % 3 else Site.Status.NOT_YET_RECRUITING
        batch.append(
            Site(
                trial=trial,
                facility=name,
                facility_en=name,
                city="City",
                city_en="City",
                country="X",
                latitude=lat,
                longitude=lon,
                status=status,
            )
        )
        if len(batch) == 5000:
            Site.objects.using(ALIAS).bulk_create(batch)
            batch = []
    Site.objects.using(ALIAS).bulk_create(batch)
    connections[ALIAS].cursor().execute("ANALYZE")
    return trial


def timed_ms(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms, max {ordered[-1]:.2f} ms"


def run() -> list[tuple[str, str]]:
    rows = []
    rng = random.Random(2024)

    start = time.perf_counter()
    index = geo.PlaceIndex()
    build_s = time.perf_counter() - start
    del index
    # Measured apart: tracing every allocation slows the build several times over.
    tracemalloc.start()
    index = geo.PlaceIndex()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows.append(("place index: build time", f"{build_s * 1000:.0f} ms ({len(index.names):,} places)"))
    rows.append(("place index: memory held / peak while building", f"{held / 1e6:.1f} MB / {peak / 1e6:.1f} MB"))
    geo.place_index()
    names = [
        "Busan",
        "부산",
        "부산광역시",
        "广州",
        "Guangzhou",
        "廣州",
        "Seoul",
        "양평군",
        "Nowhere at all",
        "35.18,129.08",
    ]
    times = []
    for _ in range(200):
        for name in names:
            start = time.perf_counter()
            geo.resolve_place(name)
            times.append((time.perf_counter() - start) * 1000)
    rows.append(("place lookup (10 names incl. Hangul/Han, suffixes, misses)", summary(times)))

    with tempfile.TemporaryDirectory() as directory:
        throwaway_database(Path(directory) / "sites.sqlite3")
        try:
            start = time.perf_counter()
            trial = fill(rng)
            rows.append((f"{SITE_COUNT:,} synthetic sites inserted", f"{time.perf_counter() - start:.1f} s"))
            sites = Site.objects.using(ALIAS).filter(trial=trial, is_active=True)
            points = [random_point(rng) for _ in range(50)]
            for limit in (20, 100):
                times = []
                for lat, lon in points:
                    times += timed_ms(
                        lambda lat=lat, lon=lon, limit=limit: geo.nearest_sites(
                            sites, latitude=lat, longitude=lon, limit=limit
                        ),
                        1,
                    )
                rows.append((f"nearest {limit} sites, box prefilter (50 random points)", summary(times)))
            remote = timed_ms(lambda: geo.nearest_sites(sites, latitude=-48.88, longitude=-123.39, limit=20), 5)
            rows.append(("nearest 20 from Point Nemo (box must widen)", summary(remote)))
            pole = timed_ms(lambda: geo.nearest_sites(sites, latitude=89.9, longitude=0, limit=20), 5)
            rows.append(("nearest 20 from near the North Pole", summary(pole)))
            antimeridian = timed_ms(lambda: geo.nearest_sites(sites, latitude=-17.7, longitude=179.9, limit=20), 5)
            rows.append(("nearest 20 across the antimeridian (Fiji)", summary(antimeridian)))
            lat, lon = points[0]

            def full_scan():
                every = [
                    (geo.distance_km(lat, lon, s.latitude, s.longitude), s.pk)
                    for s in sites.only("pk", "latitude", "longitude")
                ]
                every.sort()
                return every[:20]

            rows.append(("for comparison: exact distance to every site", summary(timed_ms(full_scan, 3))))
        finally:
            connections[ALIAS].close()
            del connections.settings[ALIAS]
    return rows
