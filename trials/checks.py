"""Deploy checks: `manage.py check --deploy` refuses demo contact addresses."""

from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.security, deploy=True)
def check_site_addresses(app_configs, **kwargs):
    from trials.models import Site

    try:
        demo_sites = list(
            Site.objects.active().filter(team_email__iendswith="@example.org").values_list("trial__nct_id", "facility")
        )
    except DatabaseError:
        # No tables yet (before the first migrate): nothing to check.
        return []
    return [
        checks.Error(
            f"The study site {facility!r} of {nct_id} still sends messages to a demo address at example.org.",
            hint="Set the study team's real email address in the admin, or make the site inactive.",
            id="trials.E001",
        )
        for nct_id, facility in demo_sites
    ]
