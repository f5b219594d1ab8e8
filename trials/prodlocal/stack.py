"""The production shape on one machine: PostgreSQL, Redis, two gunicorn instances, two task
workers, the delivery recovery loop and an SMTP sink, each a process of its own.

A `Stack` keeps everything it makes under one folder (`.prod-local/<name>/`): a pid file per
process (`run/`), a log per process (`log/`), the mail the sink accepted (`mail/`), Redis's
folder, and the secret key that every instance shares (sessions and CSRF tokens made by one
instance are read by the other). It stops only the processes its pid files name, and only
after checking that each is still the process it started.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
STATE = ROOT / ".prod-local"


@dataclass
class Stack:
    name: str = "prod-local"
    database_url: str = "postgres://trialfinder:trialfinder@127.0.0.1:5432/tf_prodlocal"
    web_ports: tuple[int, ...] = (8101, 8102)
    redis_port: int = 6390
    smtp_port: int = 2525
    workers: int = 2
    gunicorn_workers: int = 2
    recover_every: int = 30
    # More settings for every process (for example the load test's shorter retry waits).
    env_overrides: dict = field(default_factory=dict)
    state_dir: Path | None = None
    quiet: bool = False

    def __post_init__(self):
        self.dir = Path(self.state_dir or STATE / self.name)
        for sub in ("run", "log", "mail", "redis"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)

    # -- what the processes share -------------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.web_ports]

    @property
    def cache_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def secret_key(self) -> str:
        path = self.dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()

    def env(self) -> dict:
        env = dict(os.environ)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=self.secret_key(),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            # There is no TLS proxy on this machine: pages are served over plain HTTP. Clients that act as
            # the proxy (the load test) send X-Forwarded-Proto: https and X-Forwarded-For themselves.
            DJANGO_SECURE_SSL_REDIRECT="0",
            SITE_URL=self.urls[0],
            DATABASE_URL=self.database_url,
            CACHE_URL=self.cache_url,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.smtp_port),
            EMAIL_USE_TLS="0",
            EMAIL_TIMEOUT="10",
            DEFAULT_FROM_EMAIL="TrialFinder <noreply@trials.example.org>",
            CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.update({key: str(value) for key, value in self.env_overrides.items()})
        return env

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def manage(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            check=True,
            text=True,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if capture else None,
        )
        return result.stdout or ""

    # -- the database --------------------------------------------------------------------------

    def prepare_database(self, *, fresh: bool = False) -> None:
        """PostgreSQL running, this stack's database made (emptied first if `fresh`), migrated and loaded."""
        if self.database_url.startswith("postgres"):
            postgres_ready(self.database_url, fresh=fresh, say=self.say)
        elif fresh:
            path = Path(urlsplit(self.database_url).path)
            path.unlink(missing_ok=True)
        self.say("Migrating and loading the two trials...")
        subprocess.run([PYTHON, "-m", "trials.prodlocal.prepare"], cwd=ROOT, env=self.env(), check=True)

    # -- processes ------------------------------------------------------------------------------

    def commands(self) -> dict[str, list[str]]:
        """Every process of the stack, by name, in the order they start."""
        commands = {
            "redis": [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.redis_port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                # Pages are the only thing in Redis that matters, and all of it can go: the rate limits
                # and sessions live in the database.
                "--maxmemory", "64mb",
                "--maxmemory-policy", "allkeys-lru",
                "--dir", str(self.dir / "redis"),
            ],
            "smtp": [PYTHON, "-m", "trials.prodlocal.smtp_sink", "--port", str(self.smtp_port),
                     "--spool", str(self.dir / "mail")],
        }  # fmt: skip
        for number, port in enumerate(self.web_ports, start=1):
            commands[f"web-{number}"] = [
                PYTHON, "-m", "gunicorn", "trialfinder.wsgi",
                "--bind", f"127.0.0.1:{port}",
                "--workers", str(self.gunicorn_workers),
                "--graceful-timeout", "10",
                "--access-logfile", "-",
                "--control-socket", str(self.dir / "run" / f"web-{number}.ctl"),
            ]  # fmt: skip
        for number in range(1, self.workers + 1):
            commands[f"worker-{number}"] = [
                PYTHON, "manage.py", "db_worker", "--worker-id", f"{self.name}-worker-{number}",
                "--interval", "0.5", "--no-reload",
            ]  # fmt: skip
        commands["recovery"] = [PYTHON, "manage.py", "recover_deliveries", "--every", str(self.recover_every)]
        return commands

    def pid_file(self, name: str) -> Path:
        return self.dir / "run" / f"{name}.pid"

    def start(self, name: str) -> int:
        if self.pid(name):
            return self.pid(name)
        command = self.commands()[name]
        log = (self.dir / "log" / f"{name}.log").open("a")
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        started = process_state(process.pid)[1]
        self.pid_file(name).write_text(json.dumps({"pid": process.pid, "started": started, "command": command}))
        return process.pid

    def record(self, name: str) -> dict | None:
        """This stack's process `name` ({"pid", "started", "command"}), if it is still the process we started."""
        path = self.pid_file(name)
        if not path.exists():
            return None
        record = json.loads(path.read_text())
        if running(record["pid"], record["started"]):
            return record
        path.unlink(missing_ok=True)
        return None

    def pid(self, name: str) -> int | None:
        record = self.record(name)
        return record["pid"] if record else None

    def stop(self, name: str, *, timeout: float = 15, signalled: bool = False) -> bool:
        """SIGTERM (once: a second one makes db_worker drop its task), then SIGKILL after `timeout` seconds.
        True if it was running."""
        record = self.record(name)
        if record is None:
            return False
        if not signalled:
            os.kill(record["pid"], signal.SIGTERM)
        wait_gone(record["pid"], record["started"], timeout)
        if running(record["pid"], record["started"]):
            os.kill(record["pid"], signal.SIGKILL)
            wait_gone(record["pid"], record["started"])
        self.pid_file(name).unlink(missing_ok=True)
        return True

    def kill(self, name: str) -> bool:
        """kill -9, as a crash would. True if it was running."""
        record = self.record(name)
        if record is None:
            return False
        os.kill(record["pid"], signal.SIGKILL)
        wait_gone(record["pid"], record["started"])
        self.pid_file(name).unlink(missing_ok=True)
        return True

    def up(self, *, fresh: bool = False) -> None:
        # Redis first: loading content bumps the content version that lives there.
        self.start("redis")
        wait_for_port(self.redis_port)
        self.prepare_database(fresh=fresh)
        for name in self.commands():
            self.start(name)
        wait_for_port(self.smtp_port)
        for url in self.urls:
            wait_for(url + "/healthz")
        self.say(self.status())

    def down(self) -> None:
        """SIGTERM to every process at once, the web first (no new messages), then waits for each."""
        records = {name: self.record(name) for name in reversed(list(self.commands()))}
        for record in filter(None, records.values()):
            os.kill(record["pid"], signal.SIGTERM)
        for name, record in records.items():
            if record is not None:
                self.stop(name, signalled=True)
                self.say(f"stopped {name}")

    def status(self) -> str:
        lines = [f"{'process':<10} {'pid':>7}  what", f"{'-' * 10} {'-' * 7}  {'-' * 40}"]
        what = {
            "redis": f"Redis on port {self.redis_port} (cached pages, the content version)",
            "smtp": f"SMTP sink on port {self.smtp_port}, mail kept in {self.dir / 'mail'}",
            "recovery": f"recover_deliveries every {self.recover_every} s",
        }
        for number, url in enumerate(self.urls, start=1):
            what[f"web-{number}"] = f"gunicorn, {self.gunicorn_workers} workers, {url}/"
        for number in range(1, self.workers + 1):
            what[f"worker-{number}"] = "manage.py db_worker (sends the emails)"
        for name in self.commands():
            pid = self.pid(name)
            lines.append(f"{name:<10} {pid or 'down':>7}  {what.get(name, '')}")
        lines.append(f"Database: {redacted(self.database_url)}. Logs: {self.dir / 'log'}")
        return "\n".join(lines)


def process_state(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) from /proc, or None if there is no such process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[19])


def running(pid: int, started: int) -> bool:
    """True if `pid` is alive, not a zombie, and started when ours did (so a reused pid is never ours)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaps it if it is our own child and has ended
    state = process_state(pid)
    return state is not None and state[0] not in ("Z", "X") and state[1] == started


def wait_gone(pid: int, started: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running(pid, started):
        time.sleep(0.05)


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"Nothing answered on port {port}: see the logs in .prod-local/")


def wait_for(url: str, timeout: float = 30, *, logs: str = ".prod-local/") -> None:
    """Until the URL answers 200; gives up after `timeout` seconds, naming where the logs are."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a local URL)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer: see the logs in {logs}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def postgres_ready(url: str, *, fresh: bool, say) -> None:
    """Starts the local cluster if it is down, makes the role and the database if they are missing."""
    import psycopg

    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    if subprocess.run(["pg_isready", "-q", "-h", host, "-p", str(port)], check=False).returncode != 0:
        say("Starting PostgreSQL (pg_ctlcluster 15 main start)...")
        subprocess.run(["pg_ctlcluster", "15", "main", "start"], check=False)
        for _ in range(30):
            if subprocess.run(["pg_isready", "-q", "-h", host, "-p", str(port)], check=False).returncode == 0:
                break
            time.sleep(1)
    maintenance = {"host": host, "port": port, "user": parts.username, "password": parts.password, "dbname": "postgres"}
    try:
        connection = psycopg.connect(**maintenance, autocommit=True)
    except psycopg.OperationalError:
        # The role is missing: make it as the postgres superuser, as .ci/run does.
        say(f"Making the PostgreSQL role {parts.username} (as the postgres user)...")
        sql = f"CREATE ROLE {parts.username} LOGIN PASSWORD '{parts.password}' CREATEDB"
        subprocess.run(["su", "postgres", "-c", f'psql -q -c "{sql}"'], check=True)
        connection = psycopg.connect(**maintenance, autocommit=True)
    with connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if exists and fresh:
            connection.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
            exists = None
        if not exists:
            say(f"Making the database {database}...")
            connection.execute(f'CREATE DATABASE "{database}"')
