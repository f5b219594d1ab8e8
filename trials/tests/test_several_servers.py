"""Two instances of the site, as production runs them: separate gunicorn processes that share
PostgreSQL (or an SQLite file), Redis and the secret key, started by `make prod-local`'s own
code (trials/prodlocal/stack.py) with a throwaway redis-server on free ports.

What one instance does, the other sees at once: a content edit, the contact form's limits, a form
and its CSRF token, a staff session. Each request here goes to the instance the test names, as a
proxy without sticky sessions might send it.
"""

import json
import os
import re
import secrets
import shutil
import time
from html import unescape
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests
from django_otp.oath import TOTP

from trials.prodlocal.stack import Stack, free_port

NCT_ID = "NCT06516679"
PASSWORD = "a-long-test-password-1"


def instances_database(tmp_path) -> str:
    """The tests' own database kind: a database of its own on the same PostgreSQL, or an SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=f"/test_{parts.path.lstrip('/')}_servers"))
    return f"sqlite:///{tmp_path / 'servers.sqlite3'}"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is missing: `make test` installs it (the Makefile's apt step).")
    state = tmp_path_factory.mktemp("servers")
    stack = Stack(
        name="tests",
        state_dir=state,
        database_url=instances_database(state),
        web_ports=(free_port(), free_port()),
        redis_port=free_port(),
        smtp_port=free_port(),
        workers=1,
        gunicorn_workers=1,
        recover_every=60,
        env_overrides={"CONTACT_RATE_LIMIT": 2},
        quiet=True,
    )
    key = secrets.token_hex(20)
    try:
        stack.up(fresh=True)
        stack.manage("shell", "-c", STAFF_USER.format(password=PASSWORD, key=key))
        stack.totp_key = key
        yield stack
    finally:
        stack.down()
        if stack.database_url.startswith("postgres"):
            drop_database(stack.database_url)


STAFF_USER = """
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
user = get_user_model().objects.create_superuser("coordinator", "c@example.org", "{password}")
TOTPDevice.objects.create(user=user, name="Phone", key="{key}", confirmed=True)
"""


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    ) as connection:
        connection.autocommit = True
        connection.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


class Visitor:
    """A browser behind the TLS proxy: one cookie jar, whichever instance answers."""

    def __init__(self, address: str):
        self.session = requests.Session()
        self.address = address

    def headers(self, url: str) -> dict:
        return {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Referer": "https://" + url.split("://", 1)[1],
        }

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        response = self.session.request(
            method, url, headers=self.headers(url), allow_redirects=False, timeout=30, **kwargs
        )
        for cookie in self.session.cookies:
            cookie.secure = False  # Secure as behind TLS; this client speaks HTTP to the instance, as the proxy does
        return response

    def get(self, url: str) -> requests.Response:
        return self.request("GET", url)

    def post(self, url: str, data: dict, page: str) -> requests.Response:
        return self.request("POST", url, data={**data, "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken")})


def field(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*\bvalue="([^"]*)"', html)
    return unescape(found.group(1)) if found else ""


def contact_form(page: str, email: str) -> dict:
    site = field(page, "site")
    return {
        "action": "send",
        "relationship": "parent",
        "first_name": "민준",
        "last_name": "김",
        "email": email,
        "phone": "+82 10-1234-5678",
        "preferred_language": "ko",
        "site": site,
        "consent_site": site,
        "consent": "on",
        "message": "우리 아이가 이 연구에 참여할 수 있을까요?",
        "website": "",
        "submission_id": field(page, "submission_id"),
    }


def send(visitor: Visitor, form_from: str, send_to: str, email: str) -> requests.Response:
    path = f"/trials/{NCT_ID}/contact/"
    page = visitor.get(form_from + path).text
    return visitor.post(send_to + path, contact_form(page, email), page)


def test_a_content_edit_shows_at_once_on_both_instances(servers):
    a, b = servers.urls
    pages = {url: requests.get(url + "/faq/", timeout=30).text for url in (a, b)}
    pages_in_redis = redis.Redis(port=servers.redis_port).keys("page:*")
    assert pages_in_redis, "the FAQ page should now be cached in Redis"
    edited = servers.manage(
        "shell",
        "-c",
        "from trials.models import FAQ\n"
        "faq = FAQ.objects.general().published().order_by('pk').first()\n"
        "faq.question_en = 'Edited on another server: ' + faq.question_en\n"
        "faq.save()\n"
        "print(faq.question_en)",
        capture=True,
    ).strip()
    question = edited.splitlines()[-1]
    assert question.startswith("Edited on another server: ")
    for url in (a, b):
        assert question.split(": ", 1)[1] in unescape(pages[url])  # before: the old wording
        after = unescape(requests.get(url + "/faq/", timeout=30).text)
        assert question in after, url


def test_rate_limits_are_shared_by_both_instances(servers):
    a, b = servers.urls
    visitor = Visitor("203.0.113.21")  # CONTACT_RATE_LIMIT is 2 for these instances
    codes = [
        send(visitor, a, a, "first@families.example").status_code,
        send(visitor, b, b, "second@families.example").status_code,
        send(visitor, a, a, "third@families.example").status_code,
        send(visitor, b, b, "fourth@families.example").status_code,
    ]
    # Each instance alone has seen one or two sends; together they have seen the limit.
    assert codes == [302, 302, 429, 429]
    assert send(Visitor("203.0.113.22"), b, a, "fifth@families.example").status_code == 302


def test_a_form_made_by_one_instance_is_sent_by_the_other_and_delivered(servers):
    a, b = servers.urls
    visitor = Visitor("203.0.113.31")
    response = send(visitor, a, b, "across@families.example")
    assert response.status_code == 302, response.text[:500]
    sent_page = visitor.get(a + response.headers["Location"])
    assert sent_page.status_code == 200
    reference = re.search(r"TF-[0-9A-Z]{4}-[0-9A-Z]{4}", sent_page.text).group(0)
    # The worker (a third process) sends both emails through the sink.
    expected = {f"<{reference.lower()}.team@trials.example.org>", f"<{reference.lower()}.copy@trials.example.org>"}
    log = servers.dir / "mail" / "received.jsonl"
    deadline = time.monotonic() + 30
    received = set()
    while time.monotonic() < deadline and not expected <= received:
        if log.exists():
            received = {json.loads(line)["message_id"] for line in log.read_text().splitlines()}
        time.sleep(0.2)
    assert expected <= received


def test_a_staff_session_from_one_instance_works_on_the_other(servers):
    a, b = servers.urls
    staff = Visitor("203.0.113.41")
    login = staff.get(a + "/admin/login/").text
    # The password step rendered by A, posted to B; the code step on A; the inbox on B.
    step = staff.post(b + "/admin/login/", {"username": "coordinator", "password": PASSWORD}, login)
    assert step.status_code == 302 and "/admin/sign-in/code/" in step.headers["Location"]
    code_page = staff.get(a + step.headers["Location"]).text
    code = f"{TOTP(bytes.fromhex(servers.totp_key)).token():06d}"
    assert staff.post(a + "/admin/sign-in/code/", {"code": code}, code_page).status_code == 302
    inbox = staff.get(b + "/admin/trials/contactmessage/")
    assert inbox.status_code == 200 and 'id="changelist"' in inbox.text
    # Signing out on B ends the session on A too.
    staff.post(b + "/admin/logout/", {}, inbox.text)
    assert staff.get(a + "/admin/trials/contactmessage/").status_code == 302
