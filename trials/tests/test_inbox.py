"""The study-team inbox in the admin: walls between sites, status rules, CSV, history."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from trials.models import ContactMessage, Site, Trial


@pytest.fixture
def world(db):
    call_command("setup_roles", verbosity=0)
    trial = Trial.objects.create(nct_id="NCT00000042", brief_title="Synthetic trial")
    site_a = Site.objects.create(trial=trial, facility="Hospital A", city="A", country="X", team_email="a@example.org")
    site_b = Site.objects.create(trial=trial, facility="Hospital B", city="B", country="X", team_email="b@example.org")
    users = get_user_model().objects
    alice = users.create_user("alice", password="pw-alice-123")
    bob = users.create_user("bob", password="pw-bob-123")
    call_command("setup_roles", member="alice", site=[site_a.pk], verbosity=0)
    call_command("setup_roles", member="bob", site=[site_b.pk], verbosity=0)
    root = users.create_superuser("root", "root@example.org", "pw-root-123")

    def message(site, first_name):
        return ContactMessage.objects.create(
            trial=trial,
            site=site,
            first_name=first_name,
            last_name="Guardian",
            email=f"{first_name.lower()}@example.com",
            phone="+82 10-1234-5678",
            preferred_language="ko",
            message="Hello",
            consent_text="I agree.",
            consented_at=timezone.now(),
        )

    return {
        "a": site_a,
        "b": site_b,
        "alice": users.get(pk=alice.pk),
        "bob": users.get(pk=bob.pk),
        "root": root,
        "msg_a": message(site_a, "Anna"),
        "msg_b": message(site_b, "Boris"),
    }


def change_url(message):
    return reverse("admin:trials_contactmessage_change", args=[message.pk])


def test_a_coordinator_lists_only_their_sites_messages(client, world):
    client.force_login(world["alice"])
    html = client.get(reverse("admin:trials_contactmessage_changelist")).content.decode()
    assert "Anna" in html
    assert "Boris" not in html
    # The site filter names no other site.
    assert "Hospital A" in html and "Hospital B" not in html


def test_a_coordinator_cannot_open_another_sites_message_by_its_url(client, world):
    client.force_login(world["alice"])
    assert client.get(change_url(world["msg_a"])).status_code == 200
    response = client.get(change_url(world["msg_b"]), follow=True)
    assert "Boris" not in response.content.decode()
    for name in ["history", "delete"]:
        url = reverse(f"admin:trials_contactmessage_{name}", args=[world["msg_b"].pk])
        response = client.get(url)
        assert response.status_code in (302, 403, 404), name
        assert "Boris" not in response.content.decode()
    import reversion

    with reversion.create_revision():
        world["msg_b"].save()
    version = Version.objects.get_for_object(world["msg_b"]).get()
    version_url = reverse("admin:trials_contactmessage_revision", args=[world["msg_b"].pk, version.pk])
    assert client.get(version_url).status_code == 404
    client.force_login(world["bob"])
    assert client.get(version_url).status_code == 200


def test_a_coordinator_cannot_change_another_sites_message(client, world):
    client.force_login(world["alice"])
    client.post(change_url(world["msg_b"]), {"status": "closed", "status_reason": "x", "internal_notes": "hacked"})
    world["msg_b"].refresh_from_db()
    assert world["msg_b"].status == "new" and world["msg_b"].internal_notes == ""


def test_a_coordinator_cannot_export_another_sites_message(client, world):
    client.force_login(world["alice"])
    response = client.post(
        reverse("admin:trials_contactmessage_changelist"),
        {"action": "export_csv", "_selected_action": [world["msg_a"].pk, world["msg_b"].pk]},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2  # header and Anna
    assert "Anna" in rows[1] and not any("Boris" in cell for row in rows for cell in row)


def test_superuser_sees_and_exports_everything(client, world):
    client.force_login(world["root"])
    html = client.get(reverse("admin:trials_contactmessage_changelist")).content.decode()
    assert "Anna" in html and "Boris" in html
    response = client.post(
        reverse("admin:trials_contactmessage_changelist"),
        {"action": "export_csv", "_selected_action": [world["msg_a"].pk, world["msg_b"].pk]},
    )
    assert len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))) == 3


def test_staff_outside_the_study_team_see_nothing(client, world):
    outsider = get_user_model().objects.create_user("carol", password="pw-carol-123", is_staff=True)
    client.force_login(outsider)
    assert client.get(reverse("admin:trials_contactmessage_changelist")).status_code == 403


def test_a_reason_is_required_for_not_eligible_and_closed(client, world):
    client.force_login(world["alice"])
    for status in ["not_eligible", "closed"]:
        response = client.post(
            change_url(world["msg_a"]), {"status": status, "status_reason": "", "internal_notes": ""}
        )
        assert response.status_code == 200
        assert "Please give the reason for this status." in response.content.decode()
    world["msg_a"].refresh_from_db()
    assert world["msg_a"].status == "new"


def test_status_work_records_first_contact_closing_and_history(client, world):
    client.force_login(world["alice"])
    message = world["msg_a"]
    response = client.post(
        change_url(message), {"status": "contacted", "status_reason": "", "internal_notes": "Called, will call back"}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.first_contacted_at is not None and message.closed_at is None
    first_contact = message.first_contacted_at
    client.post(
        change_url(message),
        {"status": "closed", "status_reason": "Family chose another hospital", "internal_notes": "Called"},
    )
    message.refresh_from_db()
    assert message.status == "closed" and message.closed_at is not None
    assert message.first_contacted_at == first_contact
    # Reopened: the retention clock stops.
    client.post(change_url(message), {"status": "screening", "status_reason": "", "internal_notes": "Called"})
    message.refresh_from_db()
    assert message.closed_at is None

    versions = Version.objects.get_for_object(message)
    assert [v.field_dict["status"] for v in versions] == ["screening", "closed", "contacted"]
    assert all(v.revision.user == world["alice"] for v in versions)
    history = client.get(reverse("admin:trials_contactmessage_history", args=[message.pk]))
    assert history.status_code == 200


def test_the_inbox_shows_time_to_first_contact_and_filters(client, world):
    client.force_login(world["root"])
    world["msg_a"].status = "contacted"
    world["msg_a"].record_status_dates(world["msg_a"].created_at + timezone.timedelta(hours=5))
    world["msg_a"].save()
    url = reverse("admin:trials_contactmessage_changelist")
    html = client.get(url).content.decode()
    assert "5\xa0hours" in html
    assert "not yet (waiting" in html
    assert "Boris" not in client.get(url, {"status__exact": "contacted"}).content.decode()
    assert "Anna" not in client.get(url, {"site": world["b"].pk}).content.decode()
    trial_page = client.get(url, {"trial__id__exact": world["a"].trial_id}).content.decode()
    assert "Anna" in trial_page and "Boris" in trial_page


def test_nobody_adds_messages_in_the_admin(client, world):
    client.force_login(world["root"])
    assert client.get(reverse("admin:trials_contactmessage_add")).status_code == 403


def test_resend_action_queues_failed_messages_only(client, world):
    from django_tasks_db.models import DBTaskResult

    world["msg_a"].delivery_status = "failed"
    world["msg_a"].save()
    client.force_login(world["alice"])
    client.post(
        reverse("admin:trials_contactmessage_changelist"),
        {"action": "resend", "_selected_action": [world["msg_a"].pk, world["msg_b"].pk]},
    )
    world["msg_a"].refresh_from_db()
    assert world["msg_a"].delivery_status == "pending"
    assert [task.args_kwargs["args"] for task in DBTaskResult.objects.all()] == [[world["msg_a"].pk]]
    assert Version.objects.get_for_object(world["msg_a"]).first().revision.comment == "Delivery queued again"


def test_resend_takes_a_message_stuck_waiting_but_not_one_inside_its_retries(client, world):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from trials.models import ContactMessage

    # msg_a lost its task long ago (a worker killed mid-send); msg_b is still inside its retries.
    ContactMessage.objects.filter(pk=world["msg_a"].pk).update(
        delivery_status="pending", created_at=timezone.now() - timedelta(hours=13)
    )
    ContactMessage.objects.filter(pk=world["msg_b"].pk).update(
        delivery_status="pending", created_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(world["root"])
    client.post(
        reverse("admin:trials_contactmessage_changelist"),
        {"action": "resend", "_selected_action": [world["msg_a"].pk, world["msg_b"].pk]},
    )
    assert [task.args_kwargs["args"] for task in DBTaskResult.objects.all()] == [[world["msg_a"].pk]]


def test_csv_cells_never_run_as_formulas(client, world):
    world["msg_a"].first_name = '=HYPERLINK("http://evil")'
    world["msg_a"].save()
    client.force_login(world["alice"])
    response = client.post(
        reverse("admin:trials_contactmessage_changelist"),
        {"action": "export_csv", "_selected_action": [world["msg_a"].pk]},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][4].startswith("'=")


def test_setup_roles_is_repeatable(world):
    from django.contrib.auth.models import Group

    call_command("setup_roles", verbosity=0)
    group = Group.objects.get(name="Study team")
    assert sorted(group.permissions.values_list("codename", flat=True)) == [
        "change_contactmessage",
        "view_contactmessage",
    ]
    assert world["alice"].is_staff and world["alice"].groups.filter(pk=group.pk).exists()
