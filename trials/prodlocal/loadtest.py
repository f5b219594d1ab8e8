"""`make loadtest`: the parent journey against two instances, with the mail server down and a worker
killed, then an account of every message.

On a stack of its own (`.prod-local/loadtest/`, database tf_loadtest emptied first, ports apart
from `make prod-local`), locust runs 50 users for 2 minutes (trials/prodlocal/locustfile.py).
Meanwhile:

    30 s   the SMTP sink stops (the middle minute without mail)
    60 s   kill -9 of worker 1, mid-run; it is started again 5 s later, as systemd would
    90 s   the SMTP sink starts again

Then it waits until every stored message is sent (or gives up after a while), and prints per
step the requests, failures and 95th percentile, and for the messages: stored, delivered (both
emails counted at the sink), lost and duplicated (the same Message-ID, or the same recipient and
subject, received twice). It exits non-zero unless there were 0 failures, 0 lost, 0 duplicates.

Retries and leases are shorter than in production so that the run ends in minutes (first retry
10 s instead of 60, lease 45 s instead of 120, recovery every 5 s instead of every minute).
"""

import collections
import json
import os
import statistics
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from trials.prodlocal.stack import ROOT, Stack

TIMELINE = [(30, "smtp", "stop"), (60, "worker-1", "kill"), (65, "worker-1", "start"), (90, "smtp", "start")]
DRAIN_SECONDS = 300


def run(*, users: int = 50, seconds: int = 120) -> int:
    url = os.environ.get("LOADTEST_DATABASE_URL", "postgres://trialfinder:trialfinder@127.0.0.1:5432/tf_loadtest")
    stack = Stack(
        name="loadtest",
        database_url=url,
        web_ports=(8111, 8112),
        redis_port=6391,
        smtp_port=2526,
        recover_every=5,
        env_overrides={"CONTACT_DELIVERY_FIRST_RETRY_SECONDS": 10, "CONTACT_DELIVERY_LEASE_SECONDS": 45},
    )
    for old in (stack.dir / "mail").glob("*"):
        old.unlink()
    report = {"failures": 1, "lost": 0, "duplicates": 0}
    try:
        stack.up(fresh=True)
        events = []
        locust = start_locust(stack, users=users, seconds=seconds)
        started = time.monotonic()
        cpu_before = cpu_by_role(stack, locust.pid)
        connections = ConnectionSampler(stack.database_url)
        connections.start()
        chaos = threading.Thread(target=play_timeline, args=(stack, started, seconds, events), daemon=True)
        chaos.start()
        cpu_after = cpu_by_role_at_exit(stack, locust)
        chaos.join()
        finished = time.monotonic()
        connections.stop()
        drained = drain(stack)
        report = account(stack)
        report["cpu"] = cpu_use(cpu_before, cpu_after)
        report["connections"] = connections.peak
        report["redis"] = redis_figures(stack)
        print_report(
            stack, report, events, locust_seconds=finished - started, drained=drained, users=users, seconds=seconds
        )
    finally:
        print("\nStopping the load test's stack...")
        stack.down()
    ok = report["failures"] == 0 and report["lost"] == 0 and report["duplicates"] == 0
    return 0 if ok else 1


def proc_table() -> dict[int, tuple[int, float, str]]:
    """Every process: pid -> (parent pid, CPU seconds so far, command line)."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks, cmdline)
    return table


def cpu_by_role(stack: Stack, locust_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the stack's web instances, task workers, PostgreSQL (this database's
    connections), Redis and locust, and by the whole machine."""
    table = proc_table()
    children = collections.defaultdict(list)
    for pid, (parent, _cpu, _cmd) in table.items():
        children[parent].append(pid)

    def tree(pid):
        return table.get(pid, (0, 0.0, ""))[1] + sum(tree(child) for child in children[pid])

    roles = collections.Counter()
    for name in stack.commands():
        pid = stack.pid(name)
        if pid:
            roles[name.split("-")[0]] += tree(pid)
    roles["locust"] = tree(locust_pid)
    database = urlsplit(stack.database_url).path.lstrip("/")
    roles["postgres"] = sum(
        cpu for _parent, cpu, cmd in table.values() if cmd.startswith("postgres:") and f" {database} " in cmd
    )
    with open("/proc/stat") as handle:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in handle.readline().split()[1:9])
    roles["machine"] = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    return dict(roles)


def cpu_by_role_at_exit(stack: Stack, locust: subprocess.Popen) -> dict[str, float]:
    """The CPU figures just as locust ends (its own CPU is read while it is still there to read)."""
    last = cpu_by_role(stack, locust.pid)
    while locust.poll() is None:
        last = cpu_by_role(stack, locust.pid)
        time.sleep(0.5)
    return {**cpu_by_role(stack, locust.pid), "locust": last["locust"]}


def cpu_use(before: dict, after: dict) -> dict[str, float]:
    return {role: after.get(role, 0.0) - before.get(role, 0.0) for role in after}


class ConnectionSampler(threading.Thread):
    """The most connections this database had open at once, sampled every second."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.peak, self.done = url, 0, threading.Event()

    def run(self):
        if not self.url.startswith("postgres"):
            return
        import psycopg

        database = urlsplit(self.url).path.lstrip("/")
        with psycopg.connect(self.url.replace(f"/{database}", "/postgres"), autocommit=True) as connection:
            while not self.done.wait(1):
                count = connection.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database])
                self.peak = max(self.peak, count.fetchone()[0])

    def stop(self):
        self.done.set()
        self.join(timeout=5)


def redis_figures(stack: Stack) -> dict:
    import redis

    client = redis.Redis(port=stack.redis_port)
    return {"keys": client.dbsize(), "memory": client.info("memory")["used_memory_human"]}


def start_locust(stack: Stack, *, users: int, seconds: int) -> subprocess.Popen:
    env = {**os.environ, "LOADTEST_HOSTS": ",".join(stack.urls), "LOADTEST_REPORT": str(stack.dir / "locust.json")}
    command = [
        str(ROOT / ".venv/bin/locust"),
        "-f", str(ROOT / "trials/prodlocal/locustfile.py"),
        "--headless",
        "--users", str(users),
        "--spawn-rate", "10",
        "--run-time", f"{seconds}s",
        # Families already on their way finish their journey (at most half a minute), so no send is cut off.
        "--stop-timeout", "30",
        "--host", stack.urls[0],
        "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    log = (stack.dir / "log" / "locust.log").open("w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def play_timeline(stack: Stack, started: float, seconds: int, events: list) -> None:
    for at, name, action in TIMELINE:
        if at >= seconds:
            continue
        time.sleep(max(0.0, started + at - time.monotonic()))
        getattr(stack, action)(name)
        events.append((round(time.monotonic() - started, 1), f"{name} {action}"))


def django_for(stack: Stack):
    """This process reads the load test's database with the site's own models."""
    os.environ.update(stack.env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialfinder.settings")
    import django

    django.setup()


def drain(stack: Stack) -> float:
    """Waits until no message is waiting to be sent. Returns the seconds it took."""
    django_for(stack)
    from trials.models import ContactMessage

    began = time.monotonic()
    while time.monotonic() - began < DRAIN_SECONDS:
        if not ContactMessage.objects.filter(delivery_status=ContactMessage.Delivery.PENDING).exists():
            break
        time.sleep(2)
    return time.monotonic() - began


def account(stack: Stack) -> dict:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from trials.emails import message_id
    from trials.models import ContactMessage, DeliveryAttempt

    received = [json.loads(line) for line in (stack.dir / "mail" / "received.jsonl").read_text().splitlines()]
    by_id = collections.Counter(record["message_id"] for record in received)
    by_email = collections.Counter((tuple(record["to"]), record["subject"]) for record in received)
    first_seen = {}
    for record in received:
        first_seen.setdefault(record["message_id"], record["received_at"])

    messages = list(ContactMessage.objects.select_related("site"))
    expected = {}
    for message in messages:
        for kind in ("team", "copy"):
            expected[message_id(message, kind)] = message
    delivered, lost, latencies = 0, [], []
    for message in messages:
        ids = [message_id(message, kind) for kind in ("team", "copy")]
        if all(by_id[one] for one in ids):
            delivered += 1
            latencies.append(max(first_seen[one] for one in ids) - message.created_at.timestamp())
        else:
            lost.append(message.reference)

    locust = read_locust_report(stack)
    stats = locust["steps"] + [locust["total"]]
    sends = next((row for row in stats if row["name"] == "5 contact: send"), None)
    answered = (sends["requests"] - sends["failures"]) if sends else 0
    attempts = collections.Counter(DeliveryAttempt.objects.values_list("outcome", flat=True))
    return {
        "stats": stats,
        "errors": locust["errors"],
        "failures": locust["total"]["failures"],
        "answered": answered,
        "stored": len(messages),
        "status": collections.Counter(message.delivery_status for message in messages),
        "delivered": delivered,
        "lost": len(lost) + max(0, answered - len(messages)),
        "lost_references": lost[:20],
        "emails_received": len(received),
        "duplicates": sum(count - 1 for count in by_id.values() if count > 1),
        "duplicates_by_content": sum(count - 1 for count in by_email.values() if count > 1),
        "unknown_emails": sum(1 for one in by_id if one not in expected),
        "attempts": attempts,
        "tasks_left_running": DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count(),
        "latency": latencies,
    }


def read_locust_report(stack: Stack) -> dict:
    return json.loads((stack.dir / "locust.json").read_text())


def print_report(
    stack: Stack, report: dict, events: list, *, locust_seconds: float, drained: float, users: int, seconds: int
):
    print(f"\nLoad test, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {users} users against {' and '.join(stack.urls)}")
    print("Events: " + "; ".join(f"{at:.0f} s {what}" for at, what in events))
    print(f"Locust ran {locust_seconds:.0f} s: {seconds} s of load, then each family finished the journey it was on.\n")
    print(f"{'step':<26} {'method':<6} {'requests':>9} {'failures':>9} {'median ms':>10} {'p95 ms':>8} {'req/s':>7}")
    for row in report["stats"]:
        print(
            f"{row['name']:<26} {row['method']:<6} {row['requests']:>9} {row['failures']:>9} "
            f"{row['median']:>10.0f} {row['p95']:>8.0f} {row['rate']:>7.1f}"
        )
    for error in report["errors"]:
        print(f"  failure x{error['occurrences']} at {error['step']}: {error['error']}")
    latency = report["latency"]
    print("\nMessages")
    print(f"  sent by families (answered 302):   {report['answered']}")
    print(f"  stored:                            {report['stored']}  {dict(report['status'])}")
    print(f"  delivered (both emails at the sink): {report['delivered']}")
    print(f"  lost:                              {report['lost']}  {report['lost_references'] or ''}")
    print(f"  emails received by the sink:       {report['emails_received']} (2 per message)")
    print(f"  duplicated (same Message-ID):      {report['duplicates']}")
    print(f"  duplicated (same recipient+subject): {report['duplicates_by_content']}")
    print(f"  emails the site never stored:      {report['unknown_emails']}")
    print(f"  delivery attempts by outcome:      {dict(report['attempts'])}")
    print(f"  tasks left RUNNING:                {report['tasks_left_running']}")
    if latency:
        print(
            f"  stored -> last email: p50 {statistics.median(latency):.1f} s, "
            f"p95 {percentile(latency, 95):.1f} s, max {max(latency):.1f} s; drained {drained:.0f} s after locust"
        )
    cpu = report["cpu"]
    if cpu:
        total = next(row for row in report["stats"] if row["name"] == "all steps")["requests"]
        ours = sum(value for role, value in cpu.items() if role != "machine")
        print(f"\nCPU seconds while locust ran ({2 * locust_seconds:.0f} available on 2 cores)")
        print("  (a killed worker's CPU before the kill is not counted)")
        for role in ("web", "worker", "postgres", "redis", "smtp", "recovery", "locust"):
            print(f"  {role:<10} {cpu.get(role, 0.0):7.1f}")
        print(f"  machine    {cpu['machine']:7.1f}  (of which other work on this machine: {cpu['machine'] - ours:.1f})")
        print(f"  web CPU per request: {1000 * cpu.get('web', 0.0) / max(1, total):.1f} ms over {total} requests")
    print(f"  most PostgreSQL connections at once: {report['connections']}")
    print(f"  Redis after the run: {report['redis']['keys']} keys, {report['redis']['memory']}")
    goal = report["failures"] == 0 and report["lost"] == 0 and report["duplicates"] == 0
    print(f"\nGoal 0 failures, 0 lost, 0 duplicates: {'met' if goal else 'NOT met'}")


def percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]
