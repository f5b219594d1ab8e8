"""The site under gunicorn (2 workers) for the benchmarks, started and stopped around a block."""

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from trials.prodlocal.stack import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def gunicorn(env: dict, workdir: Path, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Yields the site's base URL on `host` (a name its DJANGO_ALLOWED_HOSTS accepts) once /healthz answers."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "trialfinder.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            str(workdir / "gunicorn.log"),
            "--control-socket",
            str(workdir / "gunicorn.ctl"),
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://{host}:{port}"
    try:
        wait_for(base + "/healthz", logs=str(workdir / "gunicorn.log"))
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
