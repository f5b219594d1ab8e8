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


@checks.register(checks.Tags.security, deploy=True)
def check_client_address(app_configs, **kwargs):
    """Behind a proxy, without CLIENT_IP_HEADER every guardian seems to come from the proxy."""
    from django.conf import settings

    if settings.SECURE_PROXY_SSL_HEADER and not settings.CLIENT_IP_HEADER:
        return [
            checks.Warning(
                "CLIENT_IP_HEADER is empty behind a proxy: the contact form limits each mailbox, "
                "but cannot limit each client address.",
                hint="Set CLIENT_IP_HEADER to the header your proxy sets (for example HTTP_X_FORWARDED_FOR), "
                "or to REMOTE_ADDR if the site is reached directly.",
                id="trials.W002",
            )
        ]
    return []


@checks.register(checks.Tags.caches, deploy=True)
def check_rate_limit_store(app_configs, **kwargs):
    """The contact form's limits need their table (or Redis) before the first message."""
    from django.core.cache import caches

    try:
        caches["ratelimit"].get("deploy-check")
    except Exception as error:  # a missing table, an unreachable Redis, a missing package
        return [
            checks.Error(
                f"The rate-limit store cannot be read ({type(error).__name__}): the contact form would fail.",
                hint="Run `manage.py createcachetable`, or check CACHE_URL and that the redis package is installed.",
                id="trials.E003",
            )
        ]
    return []
