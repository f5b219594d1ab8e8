"""Alerts to followers: recorded only when staff accept a registry change or publish a trial, sent by
the real task worker at most once a day per address, in plain words in each follower's language,
with one-click unsubscribe; delivered through a real SMTP server when delivery itself is tested."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from trials.alerts import change_line, follower_emails_recover, merged
from trials.models import Alert, Follow, Follower, FollowerEmail, PendingChange, Site, Trial
from trials.models.follow import condition_terms
from trials.registry import changes_decide, changes_record, parse_study
from trials.tests.records import import_records, location, study
from trials.tests.staff import staff_login
from trials.tests.test_delivery import smtp  # noqa: F401  (the real SMTP server fixture)

# The worker (db_worker) closes the database connection, which ends a test's wrapping transaction on
# PostgreSQL, so these tests commit for real.
with_worker = pytest.mark.django_db(transaction=True)

NCT = "NCT09000001"
SEOUL = location("Seoul", facility="Seoul Hospital", point=(37.56, 126.98), status="RECRUITING")
BUSAN = location("Busan", facility="Busan Hospital", point=(35.1, 129.04), status="NOT_YET_RECRUITING")
DAEGU = location("Daegu", facility="Daegu Hospital", point=(35.87, 128.6), status="RECRUITING")


def run_worker():
    call_command("db_worker", batch=True, no_startup_delay=True, reload=False, verbosity=0)


def at(moment):
    return time_machine.travel(moment, tick=False)


def record(nct_id=NCT, **changes) -> dict:
    return study(nct_id, locations=changes.pop("locations", [SEOUL, BUSAN]), **changes)


def publish_synthetic(nct_id=NCT, *, slug="neuroblastoma", conditions=("Neuroblastoma",), **changes) -> Trial:
    [trial] = import_records(record(nct_id, conditionsModule__conditions=list(conditions), **changes))
    Trial.objects.filter(pk=trial.pk).update(
        plain_title_en=f"A plain title {nct_id[-1]}",
        plain_title_ko=f"쉬운 제목 {nct_id[-1]}",
        plain_title_zh_hans=f"简明标题 {nct_id[-1]}",
        summary_en="A summary.",
        condition_slug=slug,
        condition_label_en="neuroblastoma",
        condition_label_ko="신경모세포종",
        condition_label_zh_hans="神经母细胞瘤",
    )
    Site.objects.filter(facility_en="Busan Hospital").update(
        facility_ko="부산병원", city_ko="부산", facility_zh_hans="釜山医院", city_zh_hans="釜山"
    )
    return Trial.objects.get(pk=trial.pk)


@pytest.fixture
def trial():
    return publish_synthetic()


def follower(email, trial, *, language="ko", kinds=("trial",), confirmed=True) -> Follower:
    """A follower as the sign-up and its confirmation leave it (tested in test_follow.py)."""
    made = Follower.objects.create(email=email, language=language)
    for kind in kinds:
        Follow.objects.create(
            follower=made,
            trial=trial,
            kind=kind,
            language=language,
            confirmed_at=timezone.now() if confirmed else None,
            condition_slug=trial.condition_slug if kind == "condition" else "",
            conditions=condition_terms(trial) if kind == "condition" else [],
        )
    return made


def accept(trial, staff, **changes) -> int:
    """The registry record changes, a sync records it, and staff accept every difference."""
    trial = Trial.objects.get(pk=trial.pk)
    changes_record(trial=trial, record=parse_study(record(trial.nct_id, **changes), "test record"))
    return changes_decide(changes=list(trial.pending_changes.pending()), user=staff, accept=True)


def body(message) -> str:
    return message.body


# ---------------------------------------------------------------------------
# What triggers an alert


@with_worker
def test_an_accepted_change_tells_each_confirmed_follower_in_their_own_language(trial, staff, settings):
    settings.SITE_URL = "https://trials.example.org"
    follower("mina@example.com", trial, language="ko")
    follower("wei@example.com", trial, language="zh-hans")
    follower("ann@example.com", trial, language="en")
    follower("waiting@example.com", trial, confirmed=False)
    follower("elsewhere@example.com", publish_synthetic("NCT09000002"))
    start = timezone.now()
    with at(start):
        accept(
            trial,
            staff,
            statusModule__overallStatus="ACTIVE_NOT_RECRUITING",
            statusModule__completionDateStruct={"date": "2030-06", "type": "ESTIMATED"},
            locations=[SEOUL, {**BUSAN, "status": "RECRUITING"}, DAEGU],
        )
    assert set(Alert.objects.values_list("follower__email", flat=True)) == {
        "mina@example.com",
        "wei@example.com",
        "ann@example.com",
    }
    with at(start + timedelta(minutes=settings.ALERT_GATHER_MINUTES - 1)):
        run_worker()
    assert mail.outbox == []  # changes accepted together are gathered first
    with at(start + timedelta(minutes=settings.ALERT_GATHER_MINUTES + 1)):
        run_worker()
    emails = {message.to[0]: message for message in mail.outbox}
    assert set(emails) == {"mina@example.com", "wei@example.com", "ann@example.com"}

    korean = emails["mina@example.com"]
    assert korean.subject == "바뀐 내용: 쉬운 제목 1"
    text = body(korean)
    assert "상태: 전에는 모집 중, 지금은 진행 중 (모집 마감)." in text
    assert "종료일: 전에는 2029년 12월 31일, 지금은 2030년 6월." in text
    assert "부산병원, 부산: 모집 상태가 전에는 ‘모집 전’, 지금은 ‘모집 중’." in text
    assert "병원이 추가됐어요: Daegu Hospital, Daegu (모집 중)." in text
    assert f"https://trials.example.org/ko/trials/{NCT}/" in text
    assert 'lang="ko"' in korean.alternatives[0].content

    chinese = body(emails["wei@example.com"])
    assert "状态：从招募中变为进行中，不再招募。" in chinese
    assert "2030年6月" in chinese and "釜山医院" in chinese
    assert f"https://trials.example.org/zh-hans/trials/{NCT}/" in chinese

    english = body(emails["ann@example.com"])
    assert "Status: was Recruiting, now Active, not recruiting." in english
    assert "End date: was 31 December 2029, now June 2030." in english

    for message in mail.outbox:
        unsubscribe = message.extra_headers["List-Unsubscribe"]
        assert re.fullmatch(r"<https://trials\.example\.org/(ko/|zh-hans/)?follow/stop/[^>]+/>", unsubscribe)
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe.strip("<>") in body(message)  # the same signed link, in the body
    # Sent, so gone: nothing is left that could go out again.
    assert not Alert.objects.exists() and not FollowerEmail.objects.exists()
    with at(start + timedelta(days=3)):
        run_worker()
    assert len(mail.outbox) == 3


@with_worker
def test_an_unreviewed_sync_alerts_nobody(tmp_path, trial, staff):
    follower("mina@example.com", trial)
    changed = tmp_path / "changed.json"
    import json

    changed.write_text(json.dumps(record(statusModule__overallStatus="COMPLETED")), encoding="utf-8")
    call_command("sync_registry", str(changed), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert PendingChange.objects.pending().count() == 1
    assert not Alert.objects.exists() and not FollowerEmail.objects.exists()
    # Rejecting it tells nobody either.
    changes_decide(changes=list(PendingChange.objects.all()), user=staff, accept=False)
    with at(timezone.now() + timedelta(days=2)):
        run_worker()
    assert not Alert.objects.exists() and mail.outbox == []
    assert Trial.objects.get(pk=trial.pk).overall_status == "RECRUITING"


@with_worker
def test_a_new_trial_for_the_same_illness_reaches_those_who_asked_for_new_trials(client, trial, staff):
    follower("new-trials@example.com", trial, kinds=("condition",))
    follower("this-trial@example.com", trial, kinds=("trial",))
    follower("not-yet@example.com", trial, kinds=("condition",), confirmed=False)
    # Two drafts: one for neuroblastoma, one for another illness.
    for nct_id, slug, conditions in (
        ("NCT09000003", "neuroblastoma", ["Neuroblastoma, Stage 4"]),
        ("NCT09000004", "infant-leukemia", ["Leukemia"]),
    ):
        call_command_import(nct_id, conditions)
        Trial.objects.filter(nct_id=nct_id).update(
            plain_title_en=f"New trial {nct_id}", summary_en="A summary.", condition_slug=slug
        )
    assert not Alert.objects.exists()  # importing a draft tells nobody
    staff_login(client, staff)
    drafts = Trial.objects.filter(nct_id__in=["NCT09000003", "NCT09000004"]).values_list("pk", flat=True)
    client.post("/admin/trials/trial/", {"action": "publish", "_selected_action": list(drafts)})
    assert Trial.objects.filter(pk__in=drafts, is_published=True).count() == 2
    alerts = list(Alert.objects.values_list("follower__email", "trial__nct_id", "kind"))
    assert alerts == [("new-trials@example.com", "NCT09000003", "new_trial")]
    with at(timezone.now() + timedelta(hours=1)):
        run_worker()
    [message] = mail.outbox
    assert message.subject == "새 임상시험: New trial NCT09000003"
    assert "신경모세포종에 관한 새 임상시험:" in message.body
    assert "/ko/trials/NCT09000003/" in message.body


def call_command_import(nct_id, conditions):
    """A draft, as `import_trials` without --publish leaves it."""
    from trials.registry import trials_import

    trials_import(records=[parse_study(record(nct_id, conditionsModule__conditions=conditions), "test record")])


# ---------------------------------------------------------------------------
# At most once a day


@with_worker
def test_two_changes_in_a_day_make_one_email_and_the_next_waits_a_day(trial, staff, settings):
    follower("mina@example.com", trial)
    start = timezone.now()
    gather = timedelta(minutes=settings.ALERT_GATHER_MINUTES)
    with at(start):
        accept(trial, staff, statusModule__overallStatus="ACTIVE_NOT_RECRUITING")
    with at(start + timedelta(minutes=10)):
        accept(trial, staff, statusModule__overallStatus="ACTIVE_NOT_RECRUITING", locations=[SEOUL])
    with at(start + gather + timedelta(minutes=1)):
        run_worker()
    [first] = mail.outbox
    assert "진행 중 (모집 마감)" in first.body and "목록에서 빠진 병원: Busan Hospital" not in first.body
    assert "목록에서 빠진 병원: 부산병원, 부산." in first.body

    # A third change the same day waits until a day after the first email.
    with at(start + timedelta(hours=2)):
        accept(
            trial,
            staff,
            statusModule__overallStatus="ACTIVE_NOT_RECRUITING",
            locations=[SEOUL],
            statusModule__startDateStruct={"date": "2025-03", "type": "ACTUAL"},
        )
    for hours in (3, 12, 24):
        with at(start + timedelta(hours=hours)):
            run_worker()
        assert len(mail.outbox) == 1
    with at(start + gather + timedelta(days=1, minutes=2)):
        run_worker()
    assert len(mail.outbox) == 2
    assert "시작일: 전에는 2025년 1월, 지금은 2025년 3월." in mail.outbox[1].body
    assert "진행 중 (모집 마감)" not in mail.outbox[1].body  # each piece of news is told once


@with_worker
def test_a_change_undone_before_the_email_leaves_nothing_to_say(trial, staff):
    follower("mina@example.com", trial)
    start = timezone.now()
    with at(start):
        accept(trial, staff, statusModule__overallStatus="SUSPENDED")
        accept(trial, staff, statusModule__overallStatus="RECRUITING")
    with at(start + timedelta(hours=1)):
        run_worker()
    assert mail.outbox == [], [m.body for m in mail.outbox]
    assert not FollowerEmail.objects.exists() and not Alert.objects.exists()


# ---------------------------------------------------------------------------
# Unsubscribing


@with_worker
def test_one_click_unsubscribe_by_post_stops_everything_and_a_get_stops_nothing(trial, staff):
    follower("mina@example.com", trial, kinds=("trial", "condition"))
    start = timezone.now()
    with at(start):
        accept(trial, staff, statusModule__overallStatus="SUSPENDED")
    with at(start + timedelta(hours=1)):
        run_worker()
        accept(trial, staff, statusModule__overallStatus="RECRUITING")  # waiting for tomorrow's email
    [message] = mail.outbox
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = re.sub(r"^https?://[^/]+", "", url)

    # A link scanner, or the guardian, opening the link: a page with a button, and nothing stopped.
    page = Client().get(path)
    assert page.status_code == 200
    assert "mina@example.com" in page.content.decode() and 'name="action" value="stop"' in page.content.decode()
    assert Follower.objects.filter(email="mina@example.com").exists()

    # The mail app's one-click POST (RFC 8058): no cookie, no token, no other step.
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not Follower.objects.exists() and not Follow.objects.exists()
    assert not Alert.objects.exists() and not FollowerEmail.objects.exists()

    with at(start + timedelta(days=2)):
        accept(trial, staff, statusModule__overallStatus="COMPLETED")
        run_worker()
    with at(start + timedelta(days=4)):
        run_worker()
    assert len(mail.outbox) == 1
    assert Client().post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200  # again: still fine


@pytest.mark.django_db
def test_the_stop_button_in_a_browser_stops_and_says_so(client, trial):
    made = follower("mina@example.com", trial)
    from trials.follow import stop_url

    path = re.sub(r"^https?://[^/]+", "", stop_url(made))
    response = client.post(path, {"action": "stop"})
    assert response.status_code == 302
    done = client.get(response["Location"])
    assert "알림을 멈췄어요" in done.content.decode()
    assert not Follower.objects.exists()


# ---------------------------------------------------------------------------
# Delivery through a real SMTP server


@with_worker
def test_an_smtp_outage_is_retried_and_each_email_arrives_exactly_once(trial, staff, smtp):  # noqa: F811
    follower("mina@example.com", trial)
    follower("wei@example.com", trial, language="zh-hans")
    start = timezone.now()
    with at(start):
        accept(trial, staff, statusModule__overallStatus="SUSPENDED")
    with at(start + timedelta(hours=1)):
        run_worker()  # the SMTP server is down
    rows = FollowerEmail.objects.all()
    assert [(row.attempts, row.delivery_status) for row in rows] == [(1, "pending"), (1, "pending")]
    assert all(row.last_error.startswith("ConnectionRefusedError") for row in rows)

    smtp.start()
    smtp.inbox.drop_after_data = 1  # the first email is taken, then the line drops before "250"
    with at(start + timedelta(hours=1, minutes=2)):
        run_worker()
    with at(start + timedelta(hours=1, minutes=10)):
        run_worker()
    with at(start + timedelta(days=3)):
        run_worker()
    counts = smtp.inbox.count_by_recipient()
    parsed = smtp.inbox.parsed()
    # The email cut off before "250" went again, as the same email (the same Message-ID); the other once.
    assert sorted(counts.values()) == [1, 2]
    ids = {}
    for rcpt, email in parsed:
        ids.setdefault(rcpt[0], set()).add(str(email["Message-ID"]))
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert str(email["List-Unsubscribe"]).strip().startswith("<http")
    assert all(len(found) == 1 for found in ids.values())
    assert not FollowerEmail.objects.exists()
    subjects = {rcpt[0]: str(email["Subject"]) for rcpt, email in parsed}
    assert subjects["wei@example.com"] == "有变化：简明标题 1"


@with_worker
def test_after_the_last_attempt_staff_send_it_again_from_the_admin(client, trial, staff, smtp, settings):  # noqa: F811
    settings.CONTACT_DELIVERY_ATTEMPTS = 2
    follower("mina@example.com", trial)
    start = timezone.now()
    with at(start):
        accept(trial, staff, statusModule__overallStatus="SUSPENDED")
    for minutes in (40, 45):
        with at(start + timedelta(minutes=minutes)):
            run_worker()
    row = FollowerEmail.objects.get()
    assert (row.delivery_status, row.attempts) == ("failed", 2)
    staff_login(client, staff)
    page = client.get("/admin/trials/followeremail/").content.decode()
    assert "mina@example.com" not in page and "ConnectionRefusedError" in page
    smtp.start()
    client.post("/admin/trials/followeremail/", {"action": "send_again", "_selected_action": [row.pk]})
    with at(start + timedelta(hours=1)):
        run_worker()
    assert smtp.inbox.count_by_recipient() == {"mina@example.com": 1}
    assert not FollowerEmail.objects.exists()


@with_worker
def test_an_email_a_dead_worker_left_half_sent_is_sent_again(trial, staff, smtp, settings):  # noqa: F811
    smtp.start()
    follower("mina@example.com", trial)
    with at(timezone.now() - timedelta(hours=2)):
        accept(trial, staff, statusModule__overallStatus="SUSPENDED")
    row = FollowerEmail.objects.get()
    # A worker took it, then died: its lease is still on.
    now = timezone.now()
    FollowerEmail.objects.filter(pk=row.pk).update(
        lease_until=now + timedelta(seconds=settings.CONTACT_DELIVERY_LEASE_SECONDS), started_at=now
    )
    run_worker()
    assert smtp.inbox.envelopes == []  # a live lease: someone may be sending
    assert follower_emails_recover() == []
    later = now + timedelta(seconds=settings.CONTACT_DELIVERY_LEASE_SECONDS + 1)
    with at(later):
        assert follower_emails_recover() == [row.pk]
        assert follower_emails_recover() == []
        run_worker()
    assert smtp.inbox.count_by_recipient() == {"mina@example.com": 1}


# ---------------------------------------------------------------------------
# The words


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ko",
            [
                "시작일: 이제 실제 날짜예요(전에는 예정 날짜).",
                "참여할 수 있는 가장 많은 나이: 전에는 만 18세, 지금은 만 2세(24개월).",
                "참여할 수 있는 아이: 전에는 여아와 남아 모두, 지금은 여자아이만.",
                "등록 기록에 적힌 참여 대상 설명이 바뀌었어요. 임상시험 안내 페이지에서 읽어 보세요.",
                "목록에서 빠진 병원: Seoul Hospital, Seoul.",
            ],
        ),
        (
            "zh-hans",
            [
                "开始日期：现在是实际日期（之前是预计日期）。",
                "登记记录中关于谁可以参加的原文有了变化。请在试验页面上阅读。",
                "不再列出的医院：Seoul Hospital, Seoul。",
            ],
        ),
    ],
)
def test_each_kind_of_change_in_plain_words(language, expected):
    changes = [
        {"kind": "fact", "field": "start_date_type", "old": "ESTIMATED", "new": "ACTUAL"},
        {"kind": "fact", "field": "maximum_age", "old": "18 Years", "new": "2 Years"},
        {"kind": "fact", "field": "sex", "old": "ALL", "new": "FEMALE"},
        {"kind": "fact", "field": "eligibility_text", "old": "a", "new": "b"},
        {"kind": "site_removed", "field": "", "old": "RECRUITING", "new": None, "site": "Seoul Hospital, Seoul"},
        # Changed and changed back before the email: nothing to say.
        {"kind": "fact", "field": "overall_status", "old": "RECRUITING", "new": "SUSPENDED"},
        {"kind": "fact", "field": "overall_status", "old": "SUSPENDED", "new": "RECRUITING"},
    ]
    with translation.override(language):
        lines = [change_line(change, {}) for change in merged(changes)]
    assert len(lines) == 5
    for sentence in expected:
        assert sentence in lines, lines
