"""The Django admin: content (staff), screening rules, and the study-team inbox."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from trials.admin import content, follow, messages, registry, screening, signin  # noqa: F401

admin.site.site_header = _("TrialFinder administration")
admin.site.site_title = _("TrialFinder admin")
admin.site.index_title = _("Content, screening rules and the study-team inbox")
# The side panel takes a quarter of a laptop screen from the inbox's columns.
admin.site.enable_nav_sidebar = False
