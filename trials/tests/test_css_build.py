"""The committed static/vendor/bootstrap/bootstrap.purged.css is what `make css` builds from the
current templates, scripts and Python: a Bootstrap class added without rebuilding fails here,
before it reaches a page unstyled.

Needs the Node packages of package-lock.json, which `make test` installs.
"""

import os
import re
import subprocess
from pathlib import Path

import crispy_bootstrap5
import pytest

ROOT = Path(__file__).resolve().parents[2]
PURGECSS = ROOT / "node_modules" / ".bin" / "purgecss"
COMMITTED = ROOT / "static" / "vendor" / "bootstrap" / "bootstrap.purged.css"


def build(output: Path) -> str:
    if not PURGECSS.exists():
        pytest.skip("PurgeCSS is not installed: `make test` installs it (npm ci)")
    env = {**os.environ, "CRISPY_BOOTSTRAP5_TEMPLATES": str(Path(crispy_bootstrap5.__file__).parent / "templates")}
    subprocess.run(
        [str(PURGECSS), "--config", "purgecss.config.mjs", "--output", str(output)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return output.read_text()


def test_the_committed_stylesheet_is_up_to_date(tmp_path):
    built = build(tmp_path / "bootstrap.purged.css")
    assert built == COMMITTED.read_text(), (
        "static/vendor/bootstrap/bootstrap.purged.css is out of date: run `make css` and commit the result"
    )


def test_the_stylesheet_keeps_what_the_pages_use_and_drops_the_rest(tmp_path):
    built = build(tmp_path / "bootstrap.purged.css")
    # Written in our templates, by crispy-bootstrap5's field templates, and by our scripts.
    for selector in (".container", ".btn-primary", ".visually-hidden-focusable", ".form-control", ".invalid-feedback"):
        assert selector in built
    assert ".form-select" in built  # crispy-bootstrap5 gives every <select> this class
    assert ".d-none" in built  # contact.js shows the location button by removing it
    assert ".alert-success" in built  # base.html builds alert classes from a message's level
    # Nothing on our pages uses these (they may still appear inside :not(), as input-group's rules do).
    for selector in (".carousel", ".navbar", ".dropdown-menu", ".tooltip", ".spinner-border", ".offcanvas"):
        assert not re.search(rf"[}},]{re.escape(selector)}\b", built), selector
    assert len(built) < 60_000
