"""Creates the "Study team" and "Followers' addresses" groups, and adds a staff member to them.

    manage.py setup_roles
    manage.py setup_roles --member mina --site "Severance Hospital" --email mina@hospital.example --language ko
    manage.py setup_roles --member jun --addresses

"Followers' addresses" may see, and erase on request, the email addresses of
people who follow trials (every other staff user sees only counts). Give it to
as few people as the work needs.

The group may view and change contact messages; which messages a member sees
is decided by the sites that list them as coordinators (Site.coordinators).
A member who has no account yet gets one, staff but never superuser, with no
usable password: the command prints a link to set one, valid for
PASSWORD_RESET_TIMEOUT (3 days by default). Running it again changes nothing
that is already right.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from trials.models import Site, StaffLanguage

STUDY_TEAM_GROUP = "Study team"
STUDY_TEAM_PERMISSIONS = ["view_contactmessage", "change_contactmessage"]
ADDRESSES_GROUP = "Followers' addresses"
ADDRESSES_PERMISSIONS = ["view_follower_addresses", "view_follower", "delete_follower"]


class Command(BaseCommand):
    help = 'Creates the "Study team" group and adds a user (made if missing) to sites\' study teams.'

    def add_arguments(self, parser):
        parser.add_argument("--member", help="Username of the study-team member. A missing user is created.")
        parser.add_argument(
            "--site",
            action="append",
            default=[],
            help="A site the member works for: its id or its hospital name (repeatable).",
        )
        parser.add_argument("--email", default="", help="The member's email address (for a new user).")
        parser.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES], help="The member's admin language."
        )
        parser.add_argument(
            "--addresses",
            action="store_true",
            help=f'Add the member to "{ADDRESSES_GROUP}": they may see and erase the addresses of followers.',
        )

    @transaction.atomic
    def handle(self, *args, member=None, site=(), email="", language=None, addresses=False, verbosity=1, **options):
        group = self.group(STUDY_TEAM_GROUP, STUDY_TEAM_PERMISSIONS)
        addresses_group = self.group(ADDRESSES_GROUP, ADDRESSES_PERMISSIONS)
        if not member:
            if site or addresses:
                raise CommandError("--site and --addresses need --member.")
            return
        sites = [find_site(value) for value in site]
        users = get_user_model().objects
        user = users.filter(username=member).first()
        if user is None:
            user = users.create_user(member, email=email or "", password=None, is_staff=True)
            self.stdout.write(f"Created staff user {member!r} (not a superuser), with no password yet.")
            self.stdout.write(
                f"Send them this link to choose a password (valid for a limited time):\n  {set_password_url(user)}"
            )
        elif user.is_superuser:
            self.stdout.write(f"Note: {member!r} is a superuser and sees every site's messages.")
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        if addresses:
            user.groups.add(addresses_group)
            self.stdout.write(f"User {user.pk} may now see and erase followers' addresses.")
        if site or not addresses:
            user.groups.add(group)
        if language:
            StaffLanguage.objects.update_or_create(user=user, defaults={"language": language})
        for chosen in sites:
            chosen.coordinators.add(user)
            if verbosity:
                self.stdout.write(f"User {user.pk} now works on messages for site {chosen.pk} ({chosen.facility}).")

    def group(self, name: str, codenames: list[str]) -> Group:
        group, created = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label="trials", codename__in=codenames)
        group.permissions.set(permissions)
        self.stdout.write(
            f'Group "{name}" {"created" if created else "up to date"}: '
            f"{', '.join(sorted(p.codename for p in permissions))}."
        )
        return group


def find_site(value: str) -> Site:
    value = str(value).strip()
    if value.isdigit():
        found = Site.objects.filter(pk=int(value))
    else:
        found = Site.objects.filter(facility__iexact=value)
        if not found:
            found = Site.objects.filter(facility__icontains=value)
    found = list(found.select_related("trial"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise CommandError(f"No site matches {value!r}. The sites are listed in the admin under Study sites.")
    names = "; ".join(f"{s.pk}: {s.facility} ({s.trial.nct_id})" for s in found)
    raise CommandError(f"{value!r} matches more than one site ({names}). Give the site's id instead.")


def set_password_url(user) -> str:
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path
