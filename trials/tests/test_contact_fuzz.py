"""Hostile and odd input through the contact form, the service and the delivery worker.

Hypothesis makes 10,000 form submissions on PostgreSQL (1,000 on SQLite, to
keep CI short; the code paths are the same): names that grow under Unicode
normalisation, encoded words, line breaks of every kind, internationalised
domains, phone numbers with long extensions, huge and empty values. Each one
must either be refused by the form with a message, or be stored, and then
delivered by the worker's own task, with every header intact and every
address one an SMTP server takes. Nothing may raise.

Only generation runs (no shrinking, no example database), so the time is
predictable; the test prints how long it took.
"""

import logging
import time
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.core.mail.message import sanitize_address
from django.db import connection
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from trials import submission
from trials.forms.contact import ContactForm
from trials.geo import resolve_place
from trials.models import ContactMessage
from trials.services import Guardian, contact_message_create
from trials.tasks import deliver_contact_message
from trials.tests import factories

EXAMPLES = 10_000 if connection.vendor == "postgresql" else 1_000
BINDING = "fuzz-visitor-csrf-secret-0123456789"

nasty = st.sampled_from(
    [
        "\ufb2c",  # Hebrew presentation form: one character, three after NFC
        "=?utf-8?q?=0D=0ABcc:_x@evil.test?=",
        "\r\n",
        "\n",
        "\u2028",
        "\x85",
        "\x00",
        "\u202e",
        "\u200d",
        '"',
        "<>",
        ",",
        "김민준",
        "李伟",
        "👨‍👩‍👧",
        "\u0301",
        "%0d%0a",
        "Bcc: victim@example.net",
    ]
)
text = st.one_of(
    st.text(max_size=120),
    st.lists(st.one_of(nasty, st.text(max_size=5)), max_size=20).map("".join),
    st.just("\ufb2c" * 34),
    st.just("x" * 101),
)
local_part = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,20}", fullmatch=True)
domain = st.sampled_from(
    ["example.com", "例え.jp", "bücher.example", "EXAMPLE.ORG", "xn--r8jz45g.jp", "a..b", "-x.com"]
)
email = st.one_of(
    st.builds(lambda local, host: f"{local}@{host}", local_part, domain),
    st.emails(),
    text,
    st.just('"x@evil.test"@guardian.test'),
)
phone = st.one_of(
    st.sampled_from(
        [
            "+82 10-1234-5678",
            "010-1234-5678",
            "13812345678",
            "+86 138 1234 5678",
            "+821012345678 ext. 12345678901",
            "+82 2-1234-5678 ext. 1234567",
            "+1 650 253 0000 x123",
            "12345",
        ]
    ),
    st.from_regex(r"\+?[0-9 ()-]{3,25}( ?(ext\.?|x) ?[0-9]{1,12})?", fullmatch=True),
    text,
)


@pytest.fixture
def fuzz_site(db):
    return factories.site(
        factories.trial("NCT00000099"), "Fuzz Hospital", team_email="team@example.org", local_language="ko"
    )


good_phone = st.one_of(
    st.sampled_from(["+82 10-1234-5678", "010-1234-5678", "+86 138 1234 5678", "+82 2-1234-5678 ext. 1234567"]),
    st.integers(10_000_000, 99_999_999).map(lambda n: f"+82 10-{n // 10_000}-{n % 10_000:04d}"),
    st.integers(0, 9_999_999_999).map(lambda n: f"+1 650 253 {n % 10_000:04d} ext. {n}"),
)


def long_text(low: int, high: int):
    """Long texts made cheaply: a repeated syllable, with a line break or a character that grows under NFC."""
    return st.tuples(st.integers(low, high), st.sampled_from(["가", "a\n", "\ufb2c", "é"])).map(
        lambda pair: (pair[1] * pair[0])[: pair[0]]
    )


# Values a guardian could really type: any letters, with the awkward ones
# (growing under NFC, encoded words, quotes, commas, emoji) mixed in.
plausible_name = st.lists(
    st.one_of(
        st.text(st.characters(categories=["L", "M", "Nd", "Zs", "Pd", "Po"]), min_size=1, max_size=8),
        st.sampled_from(["\ufb2c", "=?utf-8?q?=0D=0ABcc:_x@evil.test?=", '"', ",", "<", ">", "김", "李", "👨‍👩‍👧"]),
    ),
    min_size=1,
    max_size=6,
).map("".join)
plausible = st.fixed_dictionaries(
    {
        "relationship": st.sampled_from(["parent", "family", "guardian", "patient"]),
        "first_name": plausible_name,
        "last_name": plausible_name,
        "email": st.builds(lambda local, host: f"{local}@{host}", local_part, domain),
        "phone": good_phone,
        "preferred_language": st.sampled_from(["en", "ko", "zh-hans"]),
        "child_age": st.one_of(st.just(""), st.integers(0, 30).map(str)),
        "location": st.one_of(st.just(""), plausible_name, st.sampled_from(["부산", "廣州", "35.158,129.160"])),
        "message": st.one_of(plausible_name, long_text(1, 3000)),
        "prescreen_summary": st.one_of(st.just(""), plausible_name, long_text(0, 4000)),
    }
)
anything = st.fixed_dictionaries(
    {
        "relationship": st.sampled_from(["parent", "family", "guardian", "patient", "", "boss"]),
        "first_name": text,
        "last_name": text,
        "email": email,
        "phone": phone,
        "preferred_language": st.sampled_from(["en", "ko", "zh-hans", "xx"]),
        "child_age": st.one_of(st.just(""), st.integers(-5, 400).map(str), text),
        "location": st.one_of(text, st.sampled_from(["부산", "廣州", "35.158,129.160", "999,999"])),
        "message": st.one_of(text, long_text(2990, 3010)),
        "prescreen_summary": st.one_of(st.just(""), text, long_text(3990, 4010)),
    }
)


def test_ten_thousand_submissions_end_well(fuzz_site, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    counts = {"valid": 0, "refused": 0}
    started = time.perf_counter()

    @settings_for_fuzz
    @given(fields=st.one_of(plausible, anything))
    def submit(fields):
        data = {
            **fields,
            "child_age_unit": "months",
            "site": str(fuzz_site.pk),
            "consent": "on",
            "include_summary": "on",
            "prescreen_outcome": fields["prescreen_summary"][:50],
            "submission_id": submission.new_key(binding=BINDING),
        }
        form = ContactForm(data, sites=[fuzz_site], binding=BINDING)
        if not form.is_valid():
            assert form.errors  # refused, with a message for the guardian
            counts["refused"] += 1
            return
        counts["valid"] += 1
        cleaned = form.cleaned_data
        created = contact_message_create(
            trial=fuzz_site.trial,
            site=fuzz_site,
            guardian=Guardian(**form.guardian_fields()),
            text=cleaned["message"],
            place=resolve_place(cleaned["location"]),
            place_label=cleaned["location"],
            language="en",
            prescreen_summary=cleaned["prescreen_summary"],
            prescreen_outcome=cleaned["prescreen_outcome"],
            submission_key=cleaned["submission_id"],
        )
        mail.outbox.clear()
        assert deliver_contact_message.call(created.message.pk) == "sent"
        assert_deliverable(mail.outbox)

    logging.disable(logging.INFO)  # 10,000 "Delivered message" lines would cost more than the test
    try:
        submit()
    finally:
        logging.disable(logging.NOTSET)
    seconds = time.perf_counter() - started
    print(
        f"\nContact fuzz: {counts['valid'] + counts['refused']} inputs ({counts['valid']} stored and delivered, "
        f"{counts['refused']} refused) on {connection.vendor} in {seconds:.1f} s"
    )
    assert counts["valid"] > EXAMPLES // 10 and counts["refused"] > EXAMPLES // 10
    assert ContactMessage.objects.filter(delivery_status="sent").count() == counts["valid"]


settings_for_fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def assert_deliverable(outbox):
    """What an SMTP backend would do with each email: every address sanitised,
    the whole message serialised, and exactly one of each header."""
    assert len(outbox) == 2
    for email in outbox:
        for address in [email.from_email, *email.recipients(), *email.reply_to]:
            sanitize_address(address, email.encoding or "utf-8")
        parsed = message_from_bytes(email.message().as_bytes(), policy=policy.default)
        for header in ("Subject", "From", "To", "Reply-To", "Message-ID"):
            assert len(parsed.get_all(header) or []) == 1, header
        assert parsed["Bcc"] is None and parsed["Cc"] is None
