from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from trials.models import Trial


class SiteSitemap(Sitemap):
    """Every page in every language, at the public address in SITE_URL whatever host the request used."""

    i18n = True
    alternates = True
    x_default = True

    @property
    def protocol(self):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class PageSitemap(SiteSitemap):
    def items(self):
        return ["home", "trial_list", "faq", "glossary", "about", "privacy"]

    def location(self, item):
        return reverse(item)


class TrialSitemap(SiteSitemap):
    def items(self):
        return Trial.objects.published()


sitemaps = {"pages": PageSitemap, "trials": TrialSitemap}
