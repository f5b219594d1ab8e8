# Existing messages move to the new shape: phone numbers in E.164 with the
# extension apart, a reference for each message, and the old notes box as the
# first entry of the note log. Data only: PostgreSQL refuses to alter a table
# in the same transaction as row changes whose foreign-key checks are pending,
# so the schema changes that need this data come in 0005.

from django.db import migrations


def fill_references(apps, schema_editor):
    from trials.models.contact import new_reference

    ContactMessage = apps.get_model("trials", "ContactMessage")
    used = set()
    for message in ContactMessage.objects.filter(reference__isnull=True).only("pk"):
        reference = new_reference()
        while reference in used:
            reference = new_reference()
        used.add(reference)
        ContactMessage.objects.filter(pk=message.pk).update(reference=reference)


def phones_to_e164(apps, schema_editor):
    import phonenumbers

    ContactMessage = apps.get_model("trials", "ContactMessage")
    for message in ContactMessage.objects.exclude(phone=""):
        try:
            number = phonenumbers.parse(message.phone, None)
        except phonenumbers.NumberParseException:
            continue
        ContactMessage.objects.filter(pk=message.pk).update(
            phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            phone_extension=(number.extension or "")[:10],
        )


def notes_to_log(apps, schema_editor):
    """The old single notes box becomes the first entry of each message's note log."""
    ContactMessage = apps.get_model("trials", "ContactMessage")
    MessageNote = apps.get_model("trials", "MessageNote")
    for message in ContactMessage.objects.exclude(internal_notes=""):
        MessageNote.objects.create(message=message, author_name="(notes kept before the note log)", text=message.internal_notes)



class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0003_contact_flow_and_reviews"),
    ]

    operations = [
        migrations.RunPython(phones_to_e164, migrations.RunPython.noop),
        migrations.RunPython(fill_references, migrations.RunPython.noop),
        migrations.RunPython(notes_to_log, migrations.RunPython.noop),
    ]
