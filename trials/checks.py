"""Deploy checks: `manage.py check --deploy` refuses demo contact addresses and names unconfirmed ones."""

from django.core import checks
from django.db import DatabaseError
from django.db.models import Count, Q


@checks.register(checks.Tags.security, deploy=True)
def check_site_addresses(app_configs, **kwargs):
    from trials.models import Site

    active = Site.objects.active().filter(trial__is_published=True)
    try:
        demo_sites = list(active.filter(team_email__iendswith="@example.org").values_list("trial__nct_id", "facility"))
        unconfirmed = list(
            active.exclude(team_email__iendswith="@example.org")
            .values("trial__nct_id")
            .annotate(
                missing=Count("pk", filter=Q(team_email="")),
                suggested=Count("pk", filter=~Q(team_email="") & Q(team_email_verified=False)),
            )
            .filter(Q(missing__gt=0) | Q(suggested__gt=0))
            .order_by("trial__nct_id")
        )
    except DatabaseError:
        # No tables yet (before the first migrate): nothing to check.
        return []
    problems = [
        checks.Error(
            f"The study site {facility!r} of {nct_id} still sends messages to a demo address at example.org.",
            hint="Set the study team's real email address in the admin, or make the site inactive.",
            id="trials.E001",
        )
        for nct_id, facility in demo_sites
    ]
    problems += [
        checks.Warning(
            f"{row['trial__nct_id']}: {row['suggested']} active site(s) have an address from the registry that staff "
            f"have not confirmed, and {row['missing']} have no address. Guardians can write to them, but their "
            "messages wait until staff confirm an address.",
            hint="Confirm each study team's address in the admin (Study sites, filter by 'address confirmed').",
            id="trials.W002",
        )
        for row in unconfirmed
    ]
    return problems


@checks.register(checks.Tags.caches, deploy=True)
def check_cache_backends(app_configs, **kwargs):
    """A cache whose client library is missing would fail on the first page, while /healthz still answers."""
    from django.conf import settings
    from django.core.cache import caches

    problems = []
    for alias in settings.CACHES:
        try:
            cache = caches[alias]
            cache.get("trialfinder-check")
        except ImportError as error:
            problems.append(
                checks.Error(
                    f"The cache {alias!r} ({settings.CACHES[alias]['BACKEND']}) cannot load its library: {error}.",
                    hint="Install the requirements again (pip install -r requirements.txt).",
                    id="trials.E003",
                )
            )
        except Exception as error:  # a server that does not answer is a deploy problem too
            problems.append(
                checks.Error(
                    f"The cache {alias!r} does not answer: {type(error).__name__}.",
                    hint="Check CACHE_URL and that the cache server is running; for the rate-limit table, run "
                    "`manage.py createcachetable`.",
                    id="trials.E004",
                )
            )
    return problems


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
                id="trials.W003",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_site_url_https(app_configs, **kwargs):
    """Emails to followers carry one-click unsubscribe links from SITE_URL; RFC 8058 wants them on HTTPS,
    and mail systems ignore the one-click button otherwise."""
    from django.conf import settings

    if not settings.SITE_URL.startswith("https://"):
        return [
            checks.Error(
                f"SITE_URL is {settings.SITE_URL!r}: links in emails (confirming and stopping alerts) must be https.",
                hint="Set SITE_URL to the site's public https address, for example https://trials.example.org.",
                id="trials.E020",
            )
        ]
    return []
