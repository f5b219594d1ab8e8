"""`make prod-local` and `make loadtest`: the production shape on this machine.

    python -m trials.prodlocal up              # start it all, print where; Ctrl-C stops it all
    python -m trials.prodlocal up --detach     # start it all and return (stop with `down`)
    python -m trials.prodlocal status
    python -m trials.prodlocal smtp stop       # the mail server goes away (messages wait and retry)
    python -m trials.prodlocal smtp start
    python -m trials.prodlocal worker kill 1   # kill -9 a task worker, as a crash would
    python -m trials.prodlocal worker start 1
    python -m trials.prodlocal manage createsuperuser   # manage.py with the stack's settings
    python -m trials.prodlocal down            # stop every process this stack started
    python -m trials.prodlocal loadtest        # a stack of its own, the bounded load test, a report

PROD_LOCAL_DATABASE_URL names the database (default: tf_prodlocal on the local PostgreSQL as the
`trialfinder` role; the load test uses tf_loadtest and empties it first).
"""

import argparse
import os
import signal
import subprocess
import sys
import threading

from trials.prodlocal.stack import ROOT, Stack


def stack_from_env(**options) -> Stack:
    url = os.environ.get("PROD_LOCAL_DATABASE_URL")
    return Stack(**({"database_url": url} if url else {}), **options)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trials.prodlocal", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start every process")
    up.add_argument("--detach", action="store_true", help="return once everything answers")
    commands.add_parser("down", help="stop every process")
    commands.add_parser("status", help="list the processes")
    smtp = commands.add_parser("smtp", help="stop or start the SMTP sink")
    smtp.add_argument("action", choices=["stop", "start"])
    worker = commands.add_parser("worker", help="kill -9, stop or start a task worker")
    worker.add_argument("action", choices=["kill", "stop", "start"])
    worker.add_argument("number", type=int)
    manage = commands.add_parser("manage", help="manage.py with the stack's settings and database")
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    loadtest = commands.add_parser("loadtest", help="the bounded load test, on a stack of its own")
    loadtest.add_argument("--users", type=int, default=50)
    loadtest.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args(argv)

    if args.command == "loadtest":
        from trials.prodlocal.loadtest import run

        return run(users=args.users, seconds=args.seconds)

    stack = stack_from_env()
    if args.command == "up":
        return up_and_wait(stack, detach=args.detach)
    if args.command == "manage":
        return subprocess.run([sys.executable, "manage.py", *args.arguments], cwd=ROOT, env=stack.env()).returncode
    if args.command == "down":
        stack.down()
    elif args.command == "status":
        print(stack.status())
    elif args.command == "smtp":
        stack.stop("smtp") if args.action == "stop" else stack.start("smtp")
        print(stack.status())
    elif args.command == "worker":
        name = f"worker-{args.number}"
        if name not in stack.commands():
            parser.error(f"there are {stack.workers} workers")
        {"kill": stack.kill, "stop": stack.stop, "start": stack.start}[args.action](name)
        print(stack.status())
    return 0


def up_and_wait(stack: Stack, *, detach: bool) -> int:
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stack.up()
        if detach:
            print("Running. Stop it all with: python -m trials.prodlocal down")
            return 0
        print(f"\nTrialFinder runs at {' and '.join(stack.urls)}. Ctrl-C stops every process.")
        print("In another terminal: python -m trials.prodlocal smtp stop | worker kill 1 | status")
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if not detach:
            print("\nStopping...")
            stack.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
