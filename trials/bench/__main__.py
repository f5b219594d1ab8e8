"""`make bench`: serves the site with gunicorn and loads it with wrk, then runs the
in-process benchmarks of the pre-screener and the site lookup. Prints figures only;
nothing here passes or fails.

Run: .venv/bin/python -m trials.bench [--seconds 8] [--connections 16]
"""

import argparse
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import urllib.parse
import urllib.request
from pathlib import Path

from trials.bench.server import gunicorn

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def bench_env(database: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-" + "k" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{database}",
        EMAIL_HOST="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def run_wrk(url: str, seconds: int, connections: int, script: str | None = None, headers=()) -> tuple[float, str]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", output).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        p99 += f" ({errors.group(1)} non-2xx!)"
    return rate, p99


LUA_POST = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{body}]]
"""


def prepare(workdir: Path) -> dict:
    """A throwaway SQLite database with the shipped trials, and the static files, for both benches."""
    env = bench_env(workdir / "bench.sqlite3")
    print("Preparing a database and static files for the benchmark...", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    records = sorted(str(p) for p in (ROOT / "trials/data/registry").glob("*.json"))
    manage(env, "import_trials", "--publish", "--compiled-on", "2026-11-21", *records)
    manage(env, "load_content")
    manage(env, "collectstatic", "--noinput")
    return env


def screener_step_two(base: str, session: str, workdir: Path) -> tuple[str, tuple[str, ...]]:
    """A wrk script that posts step 1 of the screener as a guardian would (with a real CSRF token), and the
    headers that go with it: every request renders step 2."""
    from trials.bench.render import form_fields

    request = urllib.request.Request(base + "/screen/", headers={"Cookie": session.removeprefix("Cookie: ")})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (local URL)
        csrf = re.search(r"csrftoken=([^;]+)", response.headers.get("Set-Cookie", "")).group(1)
        fields = {**form_fields(response.read().decode()), "action": "next"}
    body = urllib.parse.urlencode(fields)
    script = write_script(
        workdir,
        "step2.lua",
        f"""
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
        wrk.body = "{body}"
        """,
    )
    return script, (f"{session}; csrftoken={csrf}",)


def http_figures(args, env: dict, workdir: Path) -> list[tuple[str, float, str]]:
    session = session_cookie(env)
    rows = []
    with gunicorn(env, workdir) as base:
        with urllib.request.urlopen(base + "/", timeout=5) as response:  # noqa: S310 (local URL)
            css = re.search(
                r'href="(/static/vendor/bootstrap/bootstrap\.purged\.[0-9a-f]+\.css)"', response.read().decode()
            )
        step_two, step_two_headers = screener_step_two(base, session, workdir)
        targets = [
            ("/healthz (bare view, baseline)", "/healthz", None, ()),
            ("/trials/", "/trials/", None, ()),
            ("trial page /trials/NCT06516679/", "/trials/NCT06516679/", None, ()),
            ("trial page, Korean", "/ko/trials/NCT06516679/", None, ()),
            # A visitor with a session bypasses the page cache: every request renders the page.
            ("trial page, uncached (render)", "/trials/NCT06516679/", None, (session,)),
            ("trial page, Korean, uncached", "/ko/trials/NCT06516679/", None, (session,)),
            ("/trials/, uncached", "/trials/", None, (session,)),
            ("screener step 1, uncached", "/screen/", None, (session,)),
            ("screener step 2 (POST), uncached", "/screen/", step_two, step_two_headers),
            ("contact page, uncached", "/trials/NCT06516679/contact/", None, (session,)),
            ("/faq/, uncached", "/faq/", None, (session,)),
            ("/, uncached", "/", None, (session,)),
        ]
        if css:
            targets.append(("static CSS (Bootstrap, purged, gzip)", css.group(1), None, ("Accept-Encoding: gzip",)))
        screening = optional_module("trials.bench.screening")
        if screening and hasattr(screening, "prescreen_body"):
            body = screening.prescreen_body().decode().replace("]]", "] ]")
            script = write_script(workdir, "post.lua", LUA_POST.replace("{body}", body))
            targets.append(("POST /api/v1/prescreen (all trials)", "/api/v1/prescreen", script, ()))
        for label, path, script, headers in targets:
            for _ in range(50):  # warm the page cache and the connections
                urllib.request.urlopen(base + ("/healthz" if script else path), timeout=5).read()  # noqa: S310
            rate, p99 = run_wrk(base + path, args.seconds, args.connections, script, headers)
            rows.append((label, rate, p99))
            print(f"  measured {label}: {rate:,.0f} req/s", flush=True)
    return rows


def render_figures(env: dict) -> str:
    """trials/bench/render.py against the bench database, in its own process (settings from env)."""
    result = subprocess.run(
        [PYTHON, "-m", "trials.bench.render"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout


def session_cookie(env: dict) -> str:
    """A real session with something in it, as a signed-in visitor has: its pages are never cached."""
    code = (
        "from django.contrib.sessions.backends.db import SessionStore; "
        "s = SessionStore(); s['bench'] = 1; s.save(); print(s.session_key)"
    )
    key = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()[-1]
    return f"Cookie: sessionid={key}"


def write_script(workdir: Path, name: str, text: str) -> str:
    path = workdir / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def optional_module(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: run `make bench`, which installs it.")

    workdir = Path(tempfile.mkdtemp(prefix="trialfinder-bench-"))
    try:
        env = prepare(workdir)
        rows = http_figures(args, env, workdir)
        render = render_figures(env)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    baseline = rows[0][1]
    print()
    print(f"HTTP: gunicorn, 2 sync workers, DJANGO_DEBUG=0, SQLite; wrk -t2 -c{args.connections} -d{args.seconds}s")
    print(f"{'target':44} {'req/s':>9} {'p99':>10} {'vs /healthz':>12}")
    for label, rate, p99 in rows:
        print(f"{label:44} {rate:9,.0f} {p99:>10} {rate / baseline:11.2f}x")
    print()
    print("Render time without the page cache (in-process, CPU time of one render; goal: under 5 ms)")
    print(render, end="")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialfinder.settings")
    import django

    django.setup()
    modules = (
        ("trials.bench.screening", "Pre-screener"),
        ("trials.bench.sites", "Nearest study site"),
        ("trials.bench.notes", "Shared notes and the doctor's page"),
        ("trials.bench.scale", "Pages at registry scale (10,000 trials, 100,000 sites; uncached, in-process)"),
        ("trials.bench.weight", "Page weights: every page type, as served (DEBUG off, collectstatic, whitenoise)"),
        ("trials.bench.lighthouse", "Lighthouse, mobile (gunicorn, DEBUG off)"),
    )
    for name, title in modules:
        module = optional_module(name)
        if module is None or not hasattr(module, "run"):
            continue
        print()
        print(title)
        for label, figure in module.run():
            print(f"  {label:58} {figure}")


if __name__ == "__main__":
    main()
