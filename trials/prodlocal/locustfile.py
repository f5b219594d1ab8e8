"""The parent journey, for locust (`make loadtest` runs it; see trials/prodlocal/loadtest.py).

Each simulated user is a run of families, one after another. A family reads the home page and a
trial page, goes through the trial's pre-screener, opens the contact page and sends a message with
the form's own CSRF token and submission key, then sees the "sent" page. Every request goes to one
of the instances at random (LOADTEST_HOSTS), as a proxy without sticky sessions would send it, so
a form rendered by one instance is often sent to the other.

The client plays the TLS proxy: it says the request came over HTTPS (X-Forwarded-Proto) and from
the family's own address (X-Forwarded-For, read by CLIENT_IP_HEADER). Each family has its own
address and mailbox, as real families do, so the contact form's limits stay at their production
values and a refused send counts as a failure.
"""

import datetime
import itertools
import json
import os
import random
import re
from html import unescape

from locust import HttpUser, between, events, task

HOSTS = os.environ.get("LOADTEST_HOSTS", "http://127.0.0.1:8111").split(",")
NCT_ID = "NCT06516679"
LANGUAGES = ["", "/ko", "/zh-hans"]
FAMILIES = itertools.count(1)
NAMES = [("민준", "김"), ("Mina", "Park"), ("小明", "王"), ("Seo-yeon", "Lee"), ("伟", "陈")]


def field(html: str, name: str) -> str:
    """The value of the first <input> named `name`."""
    found = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*\bvalue="([^"]*)"', html)
    return unescape(found.group(1)) if found else ""


def answers(today: datetime.date) -> dict:
    """A baby who fits every rule of NCT06516679 that the pre-screener checks (dates relative to today)."""
    return {
        "birth_date": (today - datetime.timedelta(days=200)).isoformat(),
        "diagnosis": "all",
        "diagnosis_date": (today - datetime.timedelta(days=60)).isoformat(),
        "disease_status": "newly_diagnosed",
        "prior_stem_cell_transplant": "no",
        "steroids_last_4_weeks": "no",
        "marrow_failure_syndrome": "no",
        "medicine_contraindication": "no",
        "other_interventional_study": "no",
        "guardian_consent": "yes",
    }


class Family(HttpUser):
    host = HOSTS[0]
    wait_time = between(1, 3)

    @task
    def journey(self):
        number = next(FAMILIES)
        self.client.cookies.clear()
        self.address = f"198.18.{number // 250 % 250}.{number % 250 + 1}"
        language = random.choice(LANGUAGES)  # noqa: S311 (a load test's choice, not a secret)
        trial = f"{language}/trials/{NCT_ID}/"

        self.get("1 home", f"{language}/", must_contain="NCT06516679")
        self.get("2 trial page", trial, must_contain="NCT06516679")

        page = self.get("3 screener: first step", f"{trial}screen/", must_contain='name="step"')
        for step_number in range(1, 8):
            if page is None or 'name="step" value="result"' in page:
                break
            data = {**answers(datetime.date.today()), "step": field(page, "step"), "action": "next"}
            page = self.post(f"3 screener: step {step_number}", f"{trial}screen/", data, page)
        if page is None or 'name="step" value="result"' not in page:
            return

        contact = f"{trial}contact/"
        page = self.get("4 contact page", contact, must_contain='name="submission_id"')
        if page is None:
            return
        site = field(page, "site")  # the nearest recruiting site, which the page offers first
        first, last = NAMES[number % len(NAMES)]
        data = {
            "action": "send",
            "relationship": "parent",
            "first_name": first,
            "last_name": last,
            "email": f"family{number}@families.example",
            "phone": f"+82 10-{1000 + number % 9000:04d}-{random.randint(1000, 9999)}",  # noqa: S311
            "preferred_language": {"": "en", "/ko": "ko", "/zh-hans": "zh-hans"}[language],
            "location": "Seoul",
            "site": site,
            "consent_site": site,
            "consent": "on",
            "message": f"Family {number}: could our baby take part? We can travel to Seoul.",
            "website": "",
            "submission_id": field(page, "submission_id"),
        }
        sent = self.post("5 contact: send", contact, data, page, expect_redirect=True)
        if sent:
            self.get("6 sent page", sent, must_contain="TF-")

    # -- requests as the proxy would pass them ------------------------------------------------------

    def headers(self, referer: str | None = None) -> dict:
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.address}
        if referer:
            headers["Referer"] = referer
        return headers

    def keep_cookies_over_http(self) -> None:
        # The site marks its cookies Secure, as behind TLS; this client speaks plain HTTP to the
        # instances, as the proxy does, so it sends them back regardless.
        for cookie in self.client.cookies:
            cookie.secure = False

    def get(self, name: str, path: str, *, must_contain: str) -> str | None:
        host = random.choice(HOSTS)  # noqa: S311
        with self.client.get(host + path, name=name, headers=self.headers(), catch_response=True) as response:
            self.keep_cookies_over_http()
            if response.status_code != 200 or must_contain not in response.text:
                response.failure(f"{response.status_code}, expected text missing")
                return None
            return response.text

    def post(self, name: str, path: str, data: dict, page: str, *, expect_redirect: bool = False) -> str | None:
        host = random.choice(HOSTS)  # noqa: S311
        data = {**data, "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken")}
        referer = "https://" + host.split("://", 1)[1] + path
        with self.client.post(
            host + path,
            data=data,
            name=name,
            headers=self.headers(referer),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self.keep_cookies_over_http()
            if expect_redirect:
                if response.status_code != 302:
                    response.failure(f"{response.status_code} instead of the redirect to the sent page")
                    return None
                return response.headers["Location"]
            if response.status_code != 200:
                response.failure(str(response.status_code))
                return None
            return response.text


@events.quitting.add_listener
def write_report(environment, **kwargs):
    """Per step: requests, failures, median and 95th percentile (ms), for LOADTEST_REPORT. Written once every
    user has finished, so the sends made while the last families finish their journey count too."""
    path = os.environ.get("LOADTEST_REPORT")
    if not path:
        return

    def row(entry):
        return {
            "name": entry.name,
            "method": entry.method or "",
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "median": entry.median_response_time,
            "p95": entry.get_response_time_percentile(0.95),
            "rate": entry.total_rps,
        }

    stats = environment.stats
    report = {
        "steps": [row(entry) for entry in sorted(stats.entries.values(), key=lambda entry: entry.name)],
        "total": {**row(stats.total), "name": "all steps"},
        "errors": [
            {"step": error.name, "error": str(error.error), "occurrences": error.occurrences}
            for error in stats.errors.values()
        ],
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=1)
