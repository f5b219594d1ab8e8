from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrialsConfig(AppConfig):
    name = "trials"
    verbose_name = _("Trials")

    def ready(self):
        # Registers signal handlers (content versions, held messages, alerts) and deploy checks.
        from trials import alerts, cache, checks, services  # noqa: F401
