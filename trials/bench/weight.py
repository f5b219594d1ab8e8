"""What each public page weighs: its HTML and everything a browser loads with it on a first view
(stylesheets, scripts and the modules they import, images and icons), compressed as the site
serves it.

One definition for two users: `make bench` prints the figures (this module's `run`), and
trials/tests/test_page_weight.py holds every page type to the budget. Both walk the same tour of
real requests through Django's test client: GET pages, POST the pre-screener's steps, send a
contact message, share notes and open them, as a guardian would.

Run on its own: .venv/bin/python -m trials.bench.weight
"""

import datetime
import gzip
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

try:
    import brotli
except ImportError:  # whitenoise then serves gzip only
    brotli = None

# The most a page may weigh, compressed, with everything it loads.
BUDGET = 40_000

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("", "/ko", "/zh-hans")
TRIAL = "NCT06516679"
OTHER_TRIAL = "NCT05303727"


# ---------------------------------------------------------------------------
# What a page loads


class _Links(HTMLParser):
    """The URLs an HTML page makes the browser fetch at once. Lazy images count too: more than
    a first view may load, never less."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.modules: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = set((attrs.get("rel") or "").lower().split())
        if tag == "link" and rel & {"stylesheet", "icon", "preload", "modulepreload"}:
            self.urls.append(attrs.get("href") or "")
            if "modulepreload" in rel:
                self.modules.add(attrs.get("href") or "")
        elif tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
            if attrs.get("type") == "module":
                self.modules.add(attrs["src"])
        elif tag in ("img", "source", "input", "video", "audio", "iframe", "embed"):
            if tag == "input" and attrs.get("type") != "image":
                return
            for name in ("src", "poster"):
                if attrs.get(name):
                    self.urls.append(attrs[name])
            # A browser fetches one candidate of a srcset: count the widest, the worst case.
            candidates = [part.split() for part in (attrs.get("srcset") or "").split(",") if part.strip()]
            if candidates:
                self.urls.append(max(candidates, key=lambda c: float((c[1:] or ["1x"])[0][:-1] or 1))[0])
        elif tag == "object" and attrs.get("data"):
            self.urls.append(attrs["data"])


CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")
# Static imports only: `import("...")` is fetched later, when the code asks for it.
JS_IMPORT = re.compile(r"""^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?(['"])([^'"]+)\1""", re.M)


def css_references(text: str) -> list[str]:
    return [match.group(2) or match.group(4) for match in CSS_URL.finditer(text)]


def module_imports(text: str) -> list[str]:
    return [match.group(2) for match in JS_IMPORT.finditer(text)]


# ---------------------------------------------------------------------------
# Measuring


@dataclass
class PageWeight:
    label: str
    path: str
    status: int
    html: int  # compressed bytes
    assets: dict[str, int] = field(default_factory=dict)  # URL -> compressed bytes

    @property
    def total(self) -> int:
        return self.html + sum(self.assets.values())

    def describe(self) -> str:
        parts = [f"HTML {self.html:,}"] + [f"{url} {size:,}" for url, size in sorted(self.assets.items())]
        return f"{self.label} ({self.path}): {self.total:,} bytes = " + " + ".join(parts)


def body_of(response) -> bytes:
    # The test client closes a streamed response once it is read, as a WSGI server does.
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br" and brotli is not None:
        return brotli.compress(body)
    return gzip.compress(body, 9, mtime=0)


def served_size(response, body: bytes, encoding: str) -> int:
    """Bytes on the wire: as served when the site compressed it, else as whitenoise would compress it."""
    if response.get("Content-Encoding"):
        return len(body)
    return min(len(body), len(compress(body, encoding)))


def decoded(body: bytes, content_encoding: str | None) -> bytes:
    if content_encoding == "gzip":
        return gzip.decompress(body)
    if content_encoding == "br":
        return brotli.decompress(body)
    return body


def text_of(response) -> str:
    return decoded(response.content, response.get("Content-Encoding")).decode()


def accept(encoding: str) -> str:
    return "gzip, br" if encoding == "br" else "gzip"


def weigh(client, label: str, response, *, encoding: str = "gzip") -> PageWeight:
    """Weighs a page the client fetched, and everything it loads, fetched with the same client."""
    path = response.wsgi_request.get_full_path()
    html = body_of(response)
    # Django compresses pages with gzip only (GZipMiddleware), whatever else the browser accepts.
    weight = PageWeight(label=label, path=path, status=response.status_code, html=served_size(response, html, "gzip"))
    page_text = decoded(html, response.get("Content-Encoding")).decode()
    weight.assets = assets_loaded(client, page_text, path, encoding=encoding)
    return weight


def assets_loaded(client, page_text: str, page_path: str, *, encoding: str = "gzip") -> dict[str, int]:
    """What a browser fetches for this HTML on a first view, URL -> compressed bytes: the linked
    stylesheets, scripts, images and icons, what the stylesheets load (url(), @import), and the
    modules that module scripts import. Fails on a link to another host or to a missing file."""
    links = _Links()
    links.feed(page_text)
    queue = [(urljoin(page_path, url), url in links.modules) for url in links.urls if url]
    assets: dict[str, int] = {}
    while queue:
        url, is_module = queue.pop(0)
        parts = urlsplit(url)
        if parts.scheme == "data" or parts.path in assets:
            continue
        if parts.netloc:
            raise AssertionError(f"{page_path} loads {url} from another host")
        asset = client.get(parts.path, HTTP_ACCEPT_ENCODING=accept(encoding))
        if asset.status_code != 200:
            raise AssertionError(f"{page_path} loads {url}, which answers {asset.status_code}")
        served = body_of(asset)
        assets[parts.path] = served_size(asset, served, encoding)
        if parts.path.endswith(".css") or is_module:  # read what it loads in turn
            text = decoded(served, asset.get("Content-Encoding")).decode()
            if is_module:
                queue += [(urljoin(url, ref), True) for ref in module_imports(text)]
            else:
                queue += [(urljoin(url, ref), False) for ref in css_references(text)]
    return assets


# ---------------------------------------------------------------------------
# The tour: one request of every page type, as a guardian makes them


def _baby_answers() -> dict[str, str]:
    """A baby of nine months with leukemia who fits the rules the pre-screener checks (four steps)."""
    today = datetime.date.today()
    return {
        "birth_date": (today - datetime.timedelta(days=270)).isoformat(),
        "diagnosis": "all",
        "diagnosis_date": (today - datetime.timedelta(days=60)).isoformat(),
        "disease_status": "newly_diagnosed",
        "prior_stem_cell_transplant": "no",
        "steroids_last_4_weeks": "no",
        "marrow_failure_syndrome": "no",
        "medicine_contraindication": "no",
        "other_interventional_study": "no",
        "guardian_consent": "yes",
    }


def _contact_form(client, url: str, **changes) -> dict[str, str]:
    page = text_of(client.get(url))
    site = re.search(r'name="site" id="[^"]+" value="(\d+)"', page).group(1)
    key = re.search(r'name="submission_id" value="([^"]+)"', page).group(1)
    data = {
        "action": "send",
        "submission_id": key,
        "relationship": "parent",
        "first_name": "민준",
        "last_name": "김",
        "email": "guardian@example.com",
        "phone": "+82 10-1234-5678",
        "preferred_language": "ko",
        "location": "부산",
        "site": site,
        "consent_site": site,
        "consent": "on",
        "message": "우리 아이가 이 연구에 참여할 수 있을까요?",
        "website": "",
    }
    data.update(changes)
    return data


def tour(client, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(page type, response) for every public page type, in the language of `prefix`."""
    from trials.notes import note_make, notes_dump

    p = prefix
    yield "home", client.get(f"{p}/")
    yield "trial list", client.get(f"{p}/trials/")
    yield "trial page", client.get(f"{p}/trials/{TRIAL}/")
    yield "trial page (neuroblastoma)", client.get(f"{p}/trials/{OTHER_TRIAL}/")
    yield "sites page", client.get(f"{p}/trials/{OTHER_TRIAL}/sites/")

    answers = _baby_answers()
    yield "screener step 1", client.get(f"{p}/screen/")
    for step in ("1", "2", "3"):
        yield f"screener step {int(step) + 1}", client.post(f"{p}/screen/", {**answers, "step": step, "action": "next"})
    yield "screener result", client.post(f"{p}/screen/", {**answers, "step": "4", "action": "next"})
    yield "screener step 1, one trial", client.get(f"{p}/trials/{TRIAL}/screen/")

    contact = f"{p}/trials/{TRIAL}/contact/"
    yield "contact page", client.get(contact)
    yield "contact page, with errors", client.post(contact, _contact_form(client, contact, email="x", consent=""))
    sent = client.post(contact, _contact_form(client, contact))
    yield "contact sent page", client.get(sent["Location"])

    yield "notes page", client.get(f"{p}/notes/?trial={TRIAL}&section=who")
    notes = notes_dump([note_make(trial=TRIAL, section="who", passage="", text="스테로이드를 이미 시작했어요.")])
    made = client.post(f"{p}/notes/share/", {"trial": TRIAL, "notes": notes, "days": "7"})
    yield "notes shared (link and passcode)", made
    page = text_of(made)
    link = urlsplit(re.search(r'id="share-link" readonly value="([^"]+)"', page).group(1)).path
    passcode = re.search(r'id="share-passcode"[^>]*>([\d ]+)<', page).group(1)
    yield "shared notes, asking the passcode", client.get(p + link)
    yield "shared notes, opened", client.post(p + link, {"passcode": passcode})

    yield "doctor page", client.get(f"{p}/doctor/?trial={TRIAL}")
    yield "FAQ", client.get(f"{p}/faq/")
    yield "glossary", client.get(f"{p}/glossary/")
    yield "about", client.get(f"{p}/about/")
    yield "privacy", client.get(f"{p}/privacy/")
    yield "404", client.get(f"{p}/no-such-page/")


def page_weights(client, prefix: str = "", *, encoding: str = "gzip") -> list[PageWeight]:
    """Every page type in one language, weighed. Sends Accept-Encoding, as browsers do."""
    client.defaults["HTTP_ACCEPT_ENCODING"] = accept(encoding)
    weights = []
    for label, response in tour(client, prefix):
        expected = 404 if label == "404" else 200
        if response.status_code != expected:
            raise AssertionError(f"{label}: {response.wsgi_request.get_full_path()} answers {response.status_code}")
        weights.append(weigh(client, label, response, encoding=encoding))
    return weights


# ---------------------------------------------------------------------------
# `make bench`


def child() -> None:
    """In a throwaway database and static root: the site as production serves it (DEBUG off,
    collectstatic's hashed and compressed files, served by whitenoise)."""
    import logging

    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 404 page is asked for on purpose
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    with tempfile.TemporaryDirectory(prefix="trialfinder-weight-") as static_root:
        storage = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
        with override_settings(
            STATIC_ROOT=static_root,
            STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}, "staticfiles": storage},
            ALLOWED_HOSTS=["testserver"],
            SECURE_SSL_REDIRECT=False,
        ):
            call_command("migrate", "--noinput", verbosity=0)
            call_command("createcachetable", verbosity=0)
            records = sorted(str(path) for path in (ROOT / "trials/data/registry").glob("*.json"))
            call_command("import_trials", "--publish", "--compiled-on=2026-11-21", *records, verbosity=0)
            call_command("load_content", verbosity=0)
            call_command("collectstatic", "--noinput", verbosity=0)
            results = {}
            for prefix in LANGUAGES:
                results[prefix] = page_weights(Client(), prefix)
            brotli_en = page_weights(Client(), "", encoding="br") if brotli else None

    # One row per line, label and figures split by a tab, for run() to hand to `make bench`.
    print(f"page type: bytes compressed, with all it loads\t{'en':>7} {'ko':>7} {'zh-hans':>7} {'en, br':>7}")
    for index, english in enumerate(results[""]):
        row = [results[prefix][index].total for prefix in LANGUAGES]
        br = f"{brotli_en[index].total:7,}" if brotli_en else "      -"
        flag = "" if max(row) <= BUDGET else f"  over {BUDGET:,}!"
        print(f"{english.label}\t{row[0]:7,} {row[1]:7,} {row[2]:7,} {br}{flag}")
    heaviest = max((weight for weights in results.values() for weight in weights), key=lambda w: w.total)
    print(f"budget {BUDGET:,} bytes; the heaviest page\t{heaviest.describe()}")


def run() -> list[tuple[str, str]]:
    """Runs the measurement in a child process with its own throwaway database; returns its lines."""
    with tempfile.TemporaryDirectory(prefix="trialfinder-weight-") as workdir:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(workdir) / 'weight.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "trialfinder.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "k" * 40,
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "EMAIL_HOST": "127.0.0.1",
            "LOG_LEVEL": "ERROR",
        }
        output = subprocess.run(
            [sys.executable, "-m", "trials.bench.weight", "--child"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        ).stdout
    return [tuple(line.split("\t", 1)) for line in output.splitlines() if "\t" in line]


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        for label, figure in run():
            print(f"  {label:46} {figure}")
