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
    from django.conf import settings

    total = len(gzip.compress(html, 9))
    for path in set(re.findall(rb'(?:href|src)="/static/([^"?]+)"', html)):
        found = Path(settings.STATIC_ROOT) / path.decode()  # collected, under its hashed name
        if found.is_file() and path.endswith((b".css", b".js")):
            total += len(gzip.compress(found.read_bytes(), 9))
    return total


def measure(paths: list[str]) -> list[tuple[str, str]]:
    """For each page: the first render after an edit (content loaded again) and later renders (content kept
    per version in this process), both with the page cache bypassed, as for a visitor with a session."""
    from django.db import connection

    from trials.bench.render import visitor
    from trials.cache import bump_content_version

    client = visitor()
    rows = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        bump_content_version()
        queries = []
        # Counted as they run: each request starts by emptying Django's own query log.
        with connection.execute_wrapper(
            lambda execute, sql, *args, seen=queries: seen.append(sql) or execute(sql, *args)
        ):
            start = time.process_time()
            client.get(path)
            first = (time.process_time() - start) * 1000
        times = []
        for _ in range(REPEATS):
            start = time.process_time()
            response = client.get(path)
            times.append((time.process_time() - start) * 1000)
        rows.append(
            (
                path,
                f"first {first:6.1f} ms ({len(queries):2d} queries), then median {statistics.median(times):5.1f} ms, "
                f"worst {max(times):5.1f} ms; {weight(response.content) / 1024:5.1f} KB compressed",
            )
        )
    return rows


def child() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)  # pages name their files as DJANGO_DEBUG=0 does
    start = time.perf_counter()
    build()
    print(f"built\t{TRIALS:,} trials and {SITES:,} sites in {time.perf_counter() - start:.1f} s", flush=True)
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
        print(f"{path}\t{figure}", flush=True)


def run() -> list[tuple[str, str]]:
    """Runs the measurement in a child process with its own throwaway database; returns its lines."""
    with tempfile.TemporaryDirectory(prefix="trialfinder-scale-") as workdir:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(workdir) / 'scale.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "trialfinder.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "k" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "EMAIL_HOST": "127.0.0.1",
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
    return [tuple(line.split("\t", 1)) for line in output.splitlines() if "\t" in line]


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        for label, figure in run():
            print(f"  {label:58} {figure}")
