"""Every interface string and every published content field has Korean and Chinese.

The .po files are checked with polib and with GNU msgfmt (placeholders, plural
forms); a fresh `makemessages` run over a copy of the source shows whether any
string was added or changed since the .po files were last refreshed.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from modeltranslation.translator import translator

from trials.models import FAQ, Criterion, GlossaryTerm, Site, TreatmentGroup, Trial

ROOT = Path(settings.BASE_DIR)
LOCALE_DIR = ROOT / "trials" / "locale"
LOCALES = ["ko", "zh_Hans"]
DOMAINS = ["django", "djangojs"]
# The same options as `make messages`.
MAKEMESSAGES = {
    "django": [
        "-l", "ko", "-l", "zh_Hans", "--ignore=.venv", "--ignore=staticfiles", "--no-obsolete", "--add-location=file",
    ],
    "djangojs": [
        "-d", "djangojs", "-l", "ko", "-l", "zh_Hans",
        "--ignore=.venv", "--ignore=staticfiles", "--ignore=static/vendor", "--no-obsolete", "--add-location=file",
    ],
}  # fmt: skip
# Models whose translations trials/tests/test_content.py already checks.
CHECKED_IN_TEST_CONTENT = {Trial, Site, TreatmentGroup, FAQ, GlossaryTerm, Criterion}


def po_files() -> list[Path]:
    return [LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po" for locale in LOCALES for domain in DOMAINS]


def existing_po_files() -> list[Path]:
    return [path for path in po_files() if path.exists()]


def entry_key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def msgids(path: Path) -> set[tuple]:
    if not path.exists():
        return set()
    return {entry_key(entry) for entry in polib.pofile(str(path)) if not entry.obsolete}


def test_both_languages_have_interface_translations():
    for locale in LOCALES:
        assert (LOCALE_DIR / locale / "LC_MESSAGES" / "django.po").exists(), locale


@pytest.mark.parametrize("path", existing_po_files(), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_string_is_translated_and_none_is_fuzzy(path):
    po = polib.pofile(str(path))
    live = [entry for entry in po if not entry.obsolete]
    untranslated = [entry.msgid for entry in live if not entry.translated() and "fuzzy" not in entry.flags]
    fuzzy = [entry.msgid for entry in live if "fuzzy" in entry.flags]
    empty_plurals = [e.msgid for e in live if e.msgid_plural and not all(e.msgstr_plural.values())]
    assert not untranslated, f"untranslated in {path}: {untranslated}"
    assert not fuzzy, f"fuzzy in {path}: {fuzzy}"
    assert not empty_plurals, f"missing plural forms in {path}: {empty_plurals}"
    assert not po.metadata_is_fuzzy, f"{path}: the header is still marked fuzzy"
    # Korean and Chinese have one form for every number.
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert "awaiting review by the study team" in po.header


@pytest.mark.parametrize("path", existing_po_files(), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_msgfmt_accepts_placeholders_and_plural_forms(path):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@pytest.mark.parametrize("path", existing_po_files(), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_translations_keep_the_markup_of_the_english(path):
    """A translation must not drop or add HTML tags (the English keeps <strong> etc.)."""
    tag = re.compile(r"</?[a-z]+[^>]*>")
    broken = []
    for entry in polib.pofile(str(path)):
        translations = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for text in translations:
            if text and sorted(tag.findall(entry.msgid)) != sorted(tag.findall(text)):
                broken.append(entry.msgid)
    assert not broken


def fresh_messages(tmp_path: Path) -> Path:
    """Runs `make messages`' commands over a copy of the source, next to the committed .po files."""
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "staticfiles", "node_modules", "__pycache__", "*.mo", "db.sqlite3", "data", "vendor"
    )
    copy.mkdir()
    for name in ("manage.py",):
        shutil.copy2(ROOT / name, copy / name)
    for name in ("trialfinder", "trials", "templates", "static"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    for options in MAKEMESSAGES.values():
        result = subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-v", "0", *options],
            cwd=copy,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "trialfinder.settings", "HOME": str(tmp_path)},
        )
        assert result.returncode == 0, result.stderr
    return copy / "trials" / "locale"


def test_makemessages_would_add_or_remove_nothing(tmp_path):
    fresh_dir = fresh_messages(tmp_path)
    differences = []
    for path in po_files():
        fresh_path = fresh_dir / path.relative_to(LOCALE_DIR)
        committed, fresh = msgids(path), msgids(fresh_path)
        for key in sorted(fresh - committed, key=str):
            differences.append(f"new in {path.parts[-3]}/{path.name}: {key[1]!r}")
        for key in sorted(committed - fresh, key=str):
            differences.append(f"gone from the source, still in {path.parts[-3]}/{path.name}: {key[1]!r}")
    assert not differences, "Run `make messages` and translate:\n" + "\n".join(differences)


def published(model):
    """The rows a guardian can see: published trials and what hangs off them."""
    rows = model.objects.all()
    names = {field.name for field in model._meta.get_fields()}
    if "is_published" in names:
        rows = rows.filter(is_published=True)
    if "is_active" in names:
        rows = rows.filter(is_active=True)
    if "trial" in names:
        rows = rows.filter(trial__is_published=True)
    if "group" in names:
        rows = rows.filter(group__trial__is_published=True)
    return rows


@pytest.mark.django_db
def test_every_published_content_field_has_korean_and_chinese(trials_data):
    """Question wording, answer labels, treatment steps and every other translated model
    not already covered by test_content.py."""
    models = [m for m in translator.get_registered_models(abstract=False) if m not in CHECKED_IN_TEST_CONTENT]
    assert models, "no translated model left to check"
    missing, checked = [], 0
    for model in models:
        fields = translator.get_options_for_model(model).fields
        for obj in published(model):
            for field in fields:
                if not getattr(obj, f"{field}_en"):
                    continue
                for code, _name in settings.LANGUAGES:
                    checked += 1
                    if not (getattr(obj, f"{field}_{code.replace('-', '_')}") or "").strip():
                        missing.append(f"{model.__name__} {obj.pk} {field} [{code}]")
    assert checked > 0
    assert not missing
