"""Lighthouse, as a phone sees the site: the four category scores and the bytes transferred for
the pages a guardian meets first.

Serves the site as production does (gunicorn, DEBUG off, collectstatic's compressed files,
a throwaway SQLite database with the shipped trials), then runs the pinned Lighthouse from
package-lock.json with Debian's Chromium. Lighthouse's default settings are a phone on a slow
4G connection. An audit that keeps a category under 100 is named under its page.

Run: .venv/bin/python -m trials.bench.lighthouse   (`make bench` installs Lighthouse first)
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from trials.bench.server import gunicorn

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = " ".join(
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TRIAL = "NCT06516679"

PAGES = (
    ("home", "/"),
    ("trial page, English", f"/trials/{TRIAL}/"),
    ("trial page, Korean", f"/ko/trials/{TRIAL}/"),
    ("trial page, Chinese", f"/zh-hans/trials/{TRIAL}/"),
    ("screener, step 1", "/screen/"),
    ("contact page", f"/trials/{TRIAL}/contact/"),
)


def site_env(workdir: Path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "trialfinder.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "k" * 40,
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'lighthouse.sqlite3'}",
        "EMAIL_HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }


def prepare(env: dict) -> None:
    records = sorted(str(path) for path in (ROOT / "trials/data/registry").glob("*.json"))
    for command in (
        ["migrate", "--noinput"],
        ["createcachetable"],
        ["import_trials", "--publish", "--compiled-on", "2026-11-21", *records],
        ["load_content"],
        ["collectstatic", "--noinput"],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )


def lighthouse(url: str, report: Path) -> dict:
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={report}",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    for _attempt in (1, 2):  # Chromium now and then fails to start on a busy machine: one more try
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode == 0:
            return json.loads(report.read_text())
    raise SystemExit(f"Lighthouse failed on {url}:\n{done.stderr[-2000:]}")


def summary(label: str, result: dict) -> list[tuple[str, str]]:
    scores = [result["categories"][name]["score"] for name in CATEGORIES]
    shown = ["  -" if score is None else f"{round(score * 100):3d}" for score in scores]
    transferred = result["audits"]["total-byte-weight"]["numericValue"]
    rows = [(label, f"{shown[0]:>5} {shown[1]:>5} {shown[2]:>5} {shown[3]:>5} {transferred:12,.0f}")]
    # What keeps a category under 100: its scored audits that did not pass.
    for name in CATEGORIES:
        for ref in result["categories"][name]["auditRefs"]:
            audit = result["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                value = audit.get("displayValue") or ""
                rows.append((f"  {name}: {audit['id']}", f"{audit['score']:.2f} {value}".rstrip()))
    return rows


def measure() -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="trialfinder-lighthouse-") as workdir:
        workdir = Path(workdir)
        env = site_env(workdir)
        prepare(env)
        rows = [("page (scores out of 100)", f"{'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5} {'transferred':>12}")]
        # localhost, not 127.0.0.1: Chromium keeps the site's Secure cookies on http://localhost only.
        with gunicorn(env, workdir, host="localhost") as base:
            for label, path in PAGES:
                rows += summary(label, lighthouse(base + path, workdir / "report.json"))
    rows.append(("transferred:", "bytes over the wire for the page and all it loads"))
    return rows


def run() -> list[tuple[str, str]]:
    if not LIGHTHOUSE.exists():
        return [("Lighthouse is not installed:", "`make bench` installs it (npm ci)")]
    return measure()


if __name__ == "__main__":
    for label, figure in run():
        print(f"  {label:58} {figure}")
