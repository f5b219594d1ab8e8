"""Uncached render time (CPU) and query count of each kind of page, in-process, and where the time goes.

Every request carries a session cookie, so the page cache is bypassed and each
one renders the page. Run against a database with the shipped trials (`make
bench` prepares one):

    .venv/bin/python -m trials.bench.render                    # the table
    .venv/bin/python -m trials.bench.render --profile /trials/NCT06516679/

The profile is pyinstrument's, over 50 renders of the one page.
"""

import argparse
import os
import re
import statistics
import time

ROUNDS = 60
WARM_UP = 5
GOAL_MS = 5.0
TRIAL = "NCT06516679"


def pages() -> list[tuple[str, str, str]]:
    """(label, method, path): the pages a parent meets, in each language where it matters."""
    return [
        ("/ (home)", "get", "/"),
        ("/trials/ (list)", "get", "/trials/"),
        ("/trials/?condition=...&age=... (filtered)", "get", "/trials/?age=6&age_unit=months&recruiting=on"),
        ("trial page", "get", f"/trials/{TRIAL}/"),
        ("trial page, Korean", "get", f"/ko/trials/{TRIAL}/"),
        ("trial page, Chinese", "get", f"/zh-hans/trials/{TRIAL}/"),
        ("trial page, nearest to Busan", "get", f"/trials/{TRIAL}/?near=Busan"),
        ("sites page", "get", f"/trials/{TRIAL}/sites/"),
        ("screener, step 1", "get", "/screen/"),
        ("screener, step 2", "post", "/screen/"),
        ("screener, result", "post", "/screen/?result"),
        ("contact page", "get", f"/trials/{TRIAL}/contact/"),
        ("/faq/", "get", "/faq/"),
        ("/glossary/", "get", "/glossary/"),
        ("/about/", "get", "/about/"),
        ("/privacy/", "get", "/privacy/"),
    ]


def visitor():
    """A test client with a session, as a returning visitor has: the page cache never answers it."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    session = SessionStore()
    session["bench"] = 1
    session.save()
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = session.session_key
    return client


def form_fields(html: str) -> dict[str, str]:
    """The values a guardian would send from a screener page: hidden fields as they are, the first choice of
    each question, and a birth date for date fields."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) in fields:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = kind.group(1) if kind else "text"
        if kind in ("hidden", "radio", "checkbox"):
            fields[name.group(1)] = value.group(1) if value else "on"
        elif kind == "date":
            fields[name.group(1)] = "2026-02-10"
    return fields


def screener_posts(client) -> dict[str, dict]:
    """The POST bodies of step 2 and of the result page, found by walking the screener as a guardian."""
    step_one = form_fields(client.get("/screen/").content.decode())
    bodies = {"/screen/": {**step_one, "action": "next"}}
    data = dict(bodies["/screen/"])
    for _ in range(20):
        response = client.post("/screen/", data)
        html = response.content.decode()
        if "screening-result" in html:
            bodies["/screen/?result"] = data
            break
        data = {**form_fields(html), "action": "next"}
    return bodies


def request(client, method: str, path: str, posts: dict):
    if method == "post":
        return client.post(path.split("?")[0], posts[path])
    return client.get(path)


def measure(client, method: str, path: str, posts: dict) -> tuple[float, float, int, int]:
    """Median and 90th-percentile milliseconds, queries per render, and response status."""
    from django.db import connection

    for _ in range(WARM_UP):
        request(client, method, path, posts)
    queries = []
    # Counted as they run: each request starts by emptying Django's own query log.
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        response = request(client, method, path, posts)
    times = []
    for _ in range(ROUNDS):
        # CPU time of this process: the cost of the render itself, whatever else the machine is doing.
        start = time.process_time()
        request(client, method, path, posts)
        times.append((time.process_time() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)], len(queries), response.status_code


def run() -> list[tuple[str, str]]:
    client = visitor()
    posts = screener_posts(client)
    rows = []
    for label, method, path in pages():
        if method == "post" and path not in posts:
            rows.append((label, "not reached"))
            continue
        median, p90, queries, status = measure(client, method, path, posts)
        flag = "" if median < GOAL_MS else f"  (goal {GOAL_MS:.0f} ms)"
        note = "" if status == 200 else f"  status {status}!"
        rows.append((label, f"{median:5.1f} ms median, {p90:5.1f} ms p90, {queries:2d} queries{flag}{note}"))
    return rows


def profile(path: str) -> str:
    from pyinstrument import Profiler

    client = visitor()
    for _ in range(WARM_UP):
        client.get(path)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(50):
        client.get(path)
    profiler.stop()
    return profiler.output_text(unicode=False, color=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", metavar="PATH", help="print a profile of 50 renders of this page")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialfinder.settings")
    import django

    django.setup()
    if args.profile:
        print(profile(args.profile))
        return
    for label, figure in run():
        print(f"  {label:44} {figure}")


if __name__ == "__main__":
    main()
