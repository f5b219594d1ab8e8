from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrialsConfig(AppConfig):
    name = "trials"
    verbose_name = _("Trials")

    def ready(self):
        from trials import alerts, cache, checks  # noqa: F401  (registers signal handlers and deploy checks)
