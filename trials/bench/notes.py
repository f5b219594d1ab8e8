"""Shared notes and the doctor's page: the cost of scrypt on the server and in Chromium, sealing the
largest allowed set of notes, and the doctor's PDF in each language (time and size).

The PDF figures use a throwaway in-memory database with the shipped trials, so the real database is
never touched.
"""

import functools
import http.server
import statistics
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import setup_test_environment
from django.utils import translation

from trials import sealing
from trials.notes import MAX_NOTES, MAX_PASSAGE, MAX_TEXT, note_make, notes_dump

ROOT = Path(__file__).resolve().parents[2]
PASSCODE = "1234567812345678"


def median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def kdf_in_chromium(runs: int = 3) -> float | None:
    """scrypt as the browser runs it (static/js/sealing.js with the vendored @noble/hashes)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path("/usr/bin/chromium").exists():
        return None

    class Quiet(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=ROOT / "static"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/img/favicon.svg")
            times = page.evaluate(
                """async ([runs, n, r, p]) => {
                  const sealing = await import('/js/sealing.js');
                  const salt = new Uint8Array(16), times = [];
                  for (let i = 0; i < runs; i++) {
                    const start = performance.now();
                    await sealing.deriveKeys('1234567812345678', salt, {n, r, p});
                    times.push(performance.now() - start);
                  }
                  return times;
                }""",
                [runs, sealing.KDF_N, sealing.KDF_R, sealing.KDF_P],
            )
            browser.close()
    finally:
        server.shutdown()
    return statistics.median(times)


def largest_notes() -> bytes:
    notes = [
        note_make(trial="NCT06516679", section="who", passage="가" * MAX_PASSAGE, text="나" * MAX_TEXT)
        for _ in range(MAX_NOTES)
    ]
    return notes_dump(notes).encode()


def pdf_figures(runs: int = 3) -> list[tuple[str, str]]:
    from trials.views.doctor import doctor

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    files = sorted(str(path) for path in (ROOT / "trials/data/registry").glob("*.json"))
    call_command("import_trials", "--compiled-on=2026-11-21", *files, verbosity=0)
    call_command("load_content", verbosity=0)
    notes = notes_dump(
        [note_make(trial="NCT06516679", section="who", passage="첫 번째 생일 전에", text="의사 선생님께 물어볼 것")]
    )
    rows = []
    for language, prefix in (("en", ""), ("ko", "/ko"), ("zh-hans", "/zh-hans")):
        with translation.override(language):
            request = RequestFactory().post(
                f"{prefix}/doctor/", {"trial": "NCT06516679", "notes": notes, "format": "pdf"}
            )
            request._dont_enforce_csrf_checks = True
            doctor(request)  # the first render loads fonts
            size = 0

            def render(request=request):
                nonlocal size
                size = len(doctor(request).content)

            ms = median_ms(render, runs)
        rows.append(
            (
                f"doctor's PDF, NCT06516679 with a note, {language}, median of {runs}",
                f"{ms:,.0f} ms, {size / 1024:,.0f} KiB",
            )
        )
    return rows


def run():
    memory = 128 * sealing.KDF_R * sealing.KDF_N / 2**20
    label = f"scrypt N=2^{sealing.KDF_N.bit_length() - 1} r={sealing.KDF_R} p={sealing.KDF_P} ({memory:.0f} MiB)"
    server = median_ms(lambda: sealing.keys_derive(PASSCODE, b"0" * 16), 5)
    yield f"{label}, server (cryptography), median of 5", f"{server:,.0f} ms"
    browser = kdf_in_chromium()
    yield f"{label}, Chromium (@noble/hashes), median of 3", f"{browser:,.0f} ms" if browser else "not measured"
    plain = largest_notes()
    sealed = sealing.seal(plain, PASSCODE)
    seal_ms = median_ms(lambda: sealing.seal(plain, PASSCODE), 3)
    yield (
        f"seal the largest allowed notes ({MAX_NOTES} notes, {len(plain) / 1024:,.0f} KiB), server",
        f"{seal_ms:,.0f} ms, ciphertext {len(sealed.ciphertext) / 1024:,.0f} KiB",
    )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        yield from pdf_figures()
