"""The contact-flow migration keeps every stored message: phones become E.164,
each message gets its own reference, and the old notes box becomes the note log."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("trials", "0002_site_location_index")]
AFTER = [("trials", "0005_contact_flow_finish")]


@pytest.mark.django_db(transaction=True)
def test_existing_messages_survive_the_contact_flow_migration():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    trial = old.get_model("trials", "Trial").objects.create(nct_id="NCT00000011", brief_title="Old trial")
    site = old.get_model("trials", "Site").objects.create(trial=trial, facility="Old hospital", city="C", country="X")
    Message = old.get_model("trials", "ContactMessage")
    common = {"trial": trial, "site": site, "email": "a@example.com", "preferred_language": "ko", "message": "Hi"}
    common.update({"consent_text": "I agree.", "consented_at": timezone.now(), "first_name": "A", "last_name": "B"})
    with_notes = Message.objects.create(phone="+86 138 1234 5678", internal_notes="Called twice", **common)
    with_extension = Message.objects.create(phone="+82 2-1234-5678 ext. 12", **common)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Message = new.get_model("trials", "ContactMessage")
    first, second = Message.objects.get(pk=with_notes.pk), Message.objects.get(pk=with_extension.pk)
    assert first.phone == "+8613812345678"
    assert (second.phone, second.phone_extension) == ("+82212345678", "12")
    assert first.reference and second.reference and first.reference != second.reference
    notes = new.get_model("trials", "MessageNote").objects.filter(message_id=first.pk)
    assert [note.text for note in notes] == ["Called twice"]

    # Back to the present for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
