# The schema changes that need 0004's data: phone numbers fit 16 characters
# once in E.164, every message has its own reference, and the notes are in the log.

import trials.models.contact
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0004_contact_flow_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name='contactmessage',
            name='phone',
            field=models.CharField(max_length=16, verbose_name='phone number'),
        ),
        migrations.AlterField(
            model_name='contactmessage',
            name='reference',
            field=models.CharField(default=trials.models.contact.new_reference, editable=False, max_length=12, unique=True, verbose_name='reference'),
        ),
        migrations.RemoveField(
            model_name='contactmessage',
            name='internal_notes',
        ),
    ]
