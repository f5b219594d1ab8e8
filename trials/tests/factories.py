"""Test data built in code: one helper per thing, used by every test file."""

from django.utils import timezone

from trials.models import ContactMessage, Site, Trial


def trial(nct_id="NCT00000042", **fields) -> Trial:
    return Trial.objects.create(nct_id=nct_id, brief_title=fields.pop("brief_title", "Synthetic trial"), **fields)


def site(trial, facility="Hospital A", **fields) -> Site:
    # A site as staff set it up: its team address confirmed.
    defaults = {
        "city": "Seoul",
        "country": "Korea, Republic of",
        "team_email": "team-a@example.org",
        "team_email_verified": True,
    }
    return Site.objects.create(trial=trial, facility=facility, **{**defaults, **fields})


def contact_message(site, **fields) -> ContactMessage:
    """A stored message as the form would leave it (the form is not run)."""
    defaults = {
        "trial": site.trial,
        "site": site,
        "first_name": "Mina",
        "last_name": "Park",
        "email": "mina@example.com",
        "phone": "+821012345678",
        "preferred_language": "ko",
        "relationship": ContactMessage.Relationship.PARENT,
        "message": "Hello",
        "consent_text": "I agree.",
        "consented_at": timezone.now(),
    }
    return ContactMessage.objects.create(**{**defaults, **fields})
