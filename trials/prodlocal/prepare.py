"""Makes a stack's database and static files ready, in one process (one Django start-up, not five):

    python -m trials.prodlocal.prepare

Migrations, the rate-limit table, the two trials and their content (both loaders only fill what
is empty), and collectstatic when a file under static/ is newer than the last run.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RECORDS_COMPILED_ON = "2026-11-21"  # as the Makefile's


def static_is_current(static_root: Path) -> bool:
    manifest = static_root / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    return all(path.stat().st_mtime <= built for path in (ROOT / "static").rglob("*") if path.is_file())


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialfinder.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    records = sorted(str(path) for path in (ROOT / "trials/data/registry").glob("*.json"))
    call_command("import_trials", "--publish", "--compiled-on", SHIPPED_RECORDS_COMPILED_ON, *records, verbosity=0)
    call_command("load_content", verbosity=0)
    if not static_is_current(Path(settings.STATIC_ROOT)):
        call_command("collectstatic", interactive=False, verbosity=0)


if __name__ == "__main__":
    main()
