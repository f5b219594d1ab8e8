"""Creates the "Study team" group, and optionally adds a staff member to sites' teams.

    manage.py setup_roles
    manage.py setup_roles --member alice --site 3 --site 7

The group may view and change contact messages; which messages a member sees
is decided by the sites that list them as coordinators (Site.coordinators).
Running it again changes nothing that is already right.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from trials.models import Site

STUDY_TEAM_GROUP = "Study team"
STUDY_TEAM_PERMISSIONS = ["view_contactmessage", "change_contactmessage"]


class Command(BaseCommand):
    help = 'Creates the "Study team" group and optionally adds a user to sites\' study teams.'

    def add_arguments(self, parser):
        parser.add_argument("--member", help="Username to make a study-team member (made staff if needed).")
        parser.add_argument(
            "--site", type=int, action="append", default=[], help="Site id the member works for (repeatable)."
        )

    @transaction.atomic
    def handle(self, *args, member=None, site=(), verbosity=1, **options):
        say = self.stdout.write if verbosity else (lambda text: None)
        group, created = Group.objects.get_or_create(name=STUDY_TEAM_GROUP)
        permissions = Permission.objects.filter(content_type__app_label="trials", codename__in=STUDY_TEAM_PERMISSIONS)
        group.permissions.set(permissions)
        self.stdout.write(
            f'Group "{STUDY_TEAM_GROUP}" {"created" if created else "up to date"}: '
            f"{', '.join(sorted(p.codename for p in permissions))}."
        )
        if not member:
            if site:
                raise CommandError("--site needs --member.")
            return
        try:
            user = get_user_model().objects.get(username=member)
        except get_user_model().DoesNotExist:
            raise CommandError(
                f"No user named {member!r}. Create it first with createsuperuser or in the admin."
            ) from None
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(group)
        for site_id in site:
            try:
                chosen = Site.objects.get(pk=site_id)
            except Site.DoesNotExist:
                raise CommandError(f"No site with id {site_id}.") from None
            chosen.coordinators.add(user)
            say(f"User {user.pk} now works on messages for site {chosen.pk} ({chosen.facility}).")
