"""Pages at registry scale: 10,000 published trials and 100,000 sites, one trial with 1,148 of them.

Runs in its own process on a throwaway SQLite file, so the real database is
never touched. For each page it prints the uncached render time (median and
worst of several requests, in-process, with a session cookie so the page cache
is bypassed), the number of queries, and the weight a browser downloads:
the HTML and every stylesheet and script it loads, gzip-compressed.

Run: .venv/bin/python -m trials.bench.scale
"""

import gzip
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRIALS = 10_000
SITES = 100_000
BIG_TRIAL_SITES = 1_148
BIG_TRIAL = "NCT90000000"
REPEATS = 15


def build() -> None:
    from django.core.management import call_command

    from trials.models import Site, Trial

    call_command("migrate", "--noinput", verbosity=0)
    trials = [
        Trial(
            nct_id=f"NCT9{number:07d}",
            brief_title=f"A made-up study number {number} of a treatment for a childhood cancer",
            plain_title_en=f"Made-up study {number}",
            summary_en="A short plain summary of what this made-up study tests, and for whom.",
            condition_slug=f"condition-{number % 40}",
            condition_label_en=f"Condition {number % 40}",
            overall_status="RECRUITING" if number % 3 else "NOT_YET_RECRUITING",
            sponsor_en=f"Hospital {number % 500}",
            maximum_age="18 Years",
            max_age_months=216,
            phases=["PHASE2"],
            is_published=True,
            order=number,
        )
        for number in range(TRIALS)
    ]
    Trial.objects.bulk_create(trials, batch_size=2000)
    ids = list(Trial.objects.order_by("nct_id").values_list("pk", flat=True))
    countries = ["China", "Korea, Republic of", "United States", "Japan", "Germany"]
    sites = []
    for number in range(SITES):
        trial_id = ids[0] if number < BIG_TRIAL_SITES else ids[1 + number % (TRIALS - 1)]
        name = f"Hospital {number}"
        sites.append(
            Site(
                trial_id=trial_id,
                facility=name,
                facility_en=name,
                city_en=f"City {number % 900}",
                country_en=countries[number % len(countries)],
                latitude=-60 + (number * 7919 % 12000) / 100,
                longitude=-180 + (number * 104729 % 36000) / 100,
                status="RECRUITING",
                from_registry=True,
            )
        )
    Site.objects.bulk_create(sites, batch_size=5000)


def weight(html: bytes) -> int:
    """Compressed bytes a browser downloads for this page: the HTML and the assets it links."""
    from django.contrib.staticfiles import finders

    total = len(gzip.compress(html, 9))
    for path in set(re.findall(rb'(?:href|src)="/static/([^"?]+)"', html)):
        found = finders.find(path.decode())
        if found and path.endswith((b".css", b".js")):
            total += len(gzip.compress(Path(found).read_bytes(), 9))
    return total


def measure(paths: list[str]) -> list[tuple[str, str]]:
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    # A visitor with a session: the page cache is bypassed for them, as for every signed-in visitor.
    session = SessionStore()
    session["bench"] = True
    session.save()
    client.cookies["sessionid"] = session.session_key
    rows = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        times = []
        for _ in range(REPEATS):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
        rows.append(
            (
                path,
                f"median {statistics.median(times):6.1f} ms, worst {max(times):6.1f} ms, "
                f"{len(queries):2d} queries, {weight(response.content) / 1024:5.1f} KB compressed",
            )
        )
    return rows


def child() -> None:
    import django

    django.setup()
    start = time.perf_counter()
    build()
    print(f"  built {TRIALS:,} trials and {SITES:,} sites in {time.perf_counter() - start:.1f} s", flush=True)
    paths = [
        "/",
        "/trials/",
        f"/trials/?page={TRIALS // 20}",
        "/trials/?condition=condition-7&age=5&age_unit=years",
        f"/trials/{BIG_TRIAL}/",
        f"/trials/{BIG_TRIAL}/?near=Busan",
        f"/trials/{BIG_TRIAL}/sites/",
        f"/trials/{BIG_TRIAL}/sites/?q=City%2012&page=2",
        "/ko/trials/",
    ]
    for path, figure in measure(paths):
        print(f"  {path:58} {figure}", flush=True)


def run() -> list[tuple[str, str]]:
    """Runs the measurement in a child process with its own throwaway database; returns its lines."""
    with tempfile.TemporaryDirectory(prefix="trialfinder-scale-") as workdir:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(workdir) / 'scale.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "trialfinder.settings",
            "DJANGO_DEBUG": "1",
            "LOG_LEVEL": "WARNING",
        }
        output = subprocess.run(
            [sys.executable, "-m", "trials.bench.scale", "--child"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return [("", line.rstrip()) for line in output.splitlines() if line.strip()]


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        for _label, line in run():
            print(line)
