from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from trials.models import Trial


class PageSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return ["home", "trial_list", "faq", "glossary", "about", "privacy"]

    def location(self, item):
        return reverse(item)


class TrialSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return Trial.objects.published()

    def lastmod(self, trial):
        return trial.registry_checked_at


sitemaps = {"pages": PageSitemap, "trials": TrialSitemap}
