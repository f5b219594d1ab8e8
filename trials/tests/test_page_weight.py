"""Light pages: every public page type, in each language, loads at most 40 KB compressed with
everything it loads on a first view, and loads no script it does not need.

The pages are real responses from Django's test client (GZipMiddleware compresses them); their
stylesheets, scripts, images and icons come through whitenoise, followed link by link
(trials/bench/weight.py, which `make bench` prints from too). A size budget, not a speed test.
"""

import gzip
import re

import pytest
from django.core.management import call_command
from django.test import Client

from trials.bench.weight import BUDGET, LANGUAGES, TRIAL, assets_loaded, page_weights

pytestmark = pytest.mark.django_db

# Every page type the tour visits, in order.
PAGE_TYPES = [
    "home",
    "trial list",
    "trial page",
    "trial page (neuroblastoma)",
    "sites page",
    "screener step 1",
    "screener step 2",
    "screener step 3",
    "screener step 4",
    "screener result",
    "screener step 1, one trial",
    "contact page",
    "contact page, with errors",
    "contact sent page",
    "notes page",
    "notes shared (link and passcode)",
    "shared notes, asking the passcode",
    "shared notes, opened",
    "doctor page",
    "FAQ",
    "glossary",
    "about",
    "privacy",
    "404",
]

# The pages whose own features need a script, and the scripts (the notes' cryptography is not
# among them: notes.js imports it when a guardian shares or opens notes, never on a first view).
SCRIPTS = {
    "trial page": {"notes.js"},
    "trial page (neuroblastoma)": {"notes.js"},
    "screener step 1": {"screening.js"},
    "screener step 2": {"screening.js"},
    "screener step 3": {"screening.js"},
    "screener step 4": {"screening.js"},
    "screener result": {"screening.js", "notes.js"},
    "screener step 1, one trial": {"screening.js"},
    "contact page": {"contact.js"},
    "contact page, with errors": {"contact.js"},
    "shared notes, asking the passcode": {"notes.js"},
    "doctor page": {"notes.js"},
}


@pytest.fixture
def served_static(settings):
    """Static files through whitenoise, from the app's folders, as `runserver` serves them."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_every_page_type_loads_at_most_40_kb_compressed(trials_data, served_static, prefix):
    weights = page_weights(Client(), prefix)
    assert [weight.label for weight in weights] == PAGE_TYPES
    for weight in weights:
        assert weight.total <= BUDGET, weight.describe()
        # Every page has its stylesheets: a page that lost them would look light, and broken.
        assert any(url.endswith("bootstrap.purged.css") for url in weight.assets), weight.describe()
        assert any(url.endswith("site.css") for url in weight.assets), weight.describe()


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_a_page_loads_only_the_scripts_its_features_need(trials_data, served_static, prefix):
    for weight in page_weights(Client(), prefix):
        scripts = {url.rsplit("/", 1)[1] for url in weight.assets if url.endswith(".js")}
        assert scripts == SCRIPTS.get(weight.label, set()), weight.describe()


def test_the_weight_follows_module_imports_and_stylesheets(client, served_static):
    page = (
        '<link rel="stylesheet" href="/static/css/site.css">'
        '<script type="module" src="/static/js/sealing.js"></script>'
        '<img src="/static/img/favicon.svg" alt="">'
    )
    assets = assets_loaded(client, page, "/")
    # sealing.js imports scrypt.js, which imports the rest of the vendored hashing code.
    assert {
        "/static/js/sealing.js",
        "/static/vendor/noble-hashes/scrypt.js",
        "/static/vendor/noble-hashes/sha2.js",
    } <= set(assets)
    assert {"/static/css/site.css", "/static/img/favicon.svg"} <= set(assets)
    # Each counts as gzip sends it.
    site_css = client.get("/static/css/site.css")
    assert assets["/static/css/site.css"] == len(gzip.compress(b"".join(site_css.streaming_content), 9, mtime=0))


def test_the_weight_fails_on_a_missing_file_or_another_host(client, served_static):
    with pytest.raises(AssertionError, match="answers 404"):
        assets_loaded(client, '<script src="/static/js/gone.js"></script>', "/")
    with pytest.raises(AssertionError, match="from another host"):
        assets_loaded(client, '<link rel="stylesheet" href="https://cdn.example.com/x.css">', "/")


def test_pages_are_sent_compressed_to_browsers_that_accept_it(client, trials_data):
    path = f"/ko/trials/{TRIAL}/"
    plain = client.get(path)
    assert "Content-Encoding" not in plain
    compressed = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    page = gzip.decompress(compressed.content).decode()
    assert page.startswith("<!doctype html>") and TRIAL in page
    assert len(compressed.content) < len(plain.content) / 3


def test_collected_static_files_are_served_with_brotli_or_gzip(trials_data, settings, tmp_path):
    """As in production: collectstatic writes hashed, compressed copies, and whitenoise serves them."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client()
    page = client.get("/").content.decode()
    css = re.search(r'href="(/static/vendor/bootstrap/bootstrap\.purged\.[0-9a-f]{12}\.css)"', page).group(1)
    brotli_css = client.get(css, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    gzip_css = client.get(css, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert brotli_css["Content-Encoding"] == "br" and gzip_css["Content-Encoding"] == "gzip"
    assert "immutable" in brotli_css["Cache-Control"]
    sizes = {name: len(b"".join(r.streaming_content)) for name, r in (("br", brotli_css), ("gzip", gzip_css))}
    assert sizes["br"] < sizes["gzip"] < 12_000
