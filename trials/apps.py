from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class TrialsConfig(AppConfig):
    name = "trials"
    verbose_name = _("Trials")

    def ready(self):
        # Registers signal handlers (content versions, held messages, alerts) and deploy checks.
        from trials import alerts, cache, checks, services  # noqa: F401


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site where every page needs a password and a code from an authenticator app.
    Named in INSTALLED_APPS in place of django.contrib.admin."""

    default = False
    default_site = "trials.admin_site.StaffAdminSite"
