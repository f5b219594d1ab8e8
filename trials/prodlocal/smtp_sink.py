"""The mail server of the local stack: an SMTP sink that keeps every email it accepts.

    python -m trials.prodlocal.smtp_sink --port 2525 --spool .prod-local/prod-local/mail

Each accepted email is written to the spool as its own .eml file, and one line of JSON per email
is appended to `received.jsonl` (time, Message-ID, recipients, subject) before the server replies
250, so the count at the sink is the count of emails a real server took responsibility for.

SIGTERM is an orderly stop, as a mail server's own: the port closes at once (new connections are
refused, as in an outage), a session already sending may finish for a moment, then the process ends.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

# How long a session that is already sending may take to finish after SIGTERM.
GRACE_SECONDS = 2


class Spool:
    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log = self.directory / "received.jsonl"
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        with self.lock:
            self.count += 1
            name = f"{time.time_ns()}-{os.getpid()}-{self.count}.eml"
            temporary = self.directory / (name + ".part")
            temporary.write_bytes(content)
            temporary.rename(self.directory / name)
            record = {
                "received_at": time.time(),
                "message_id": str(parsed.get("Message-ID", "")),
                "to": list(envelope.rcpt_tos),
                "subject": str(parsed.get("Subject", "")),
                "file": name,
            }
            with self.log.open("a", encoding="utf-8") as log:
                log.write(json.dumps(record, ensure_ascii=False) + "\n")
                log.flush()
                os.fsync(log.fileno())
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--spool", type=Path, required=True)
    args = parser.parse_args()

    controller = Controller(Spool(args.spool), hostname=args.host, port=args.port)
    controller.start()
    print(f"SMTP sink listening on {args.host}:{args.port}, keeping mail in {args.spool}", flush=True)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    stopping.wait()
    # Close the port first: from now on a client is refused, as by a server that is down.
    closed = asyncio.run_coroutine_threadsafe(close_port(controller), controller.loop)
    closed.result(timeout=5)
    time.sleep(GRACE_SECONDS)
    controller.stop()
    print("SMTP sink stopped", flush=True)


async def close_port(controller: Controller) -> None:
    controller.server.close()


if __name__ == "__main__":
    main()
