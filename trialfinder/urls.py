from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, reverse_lazy

from trials import admin_language, views
from trials.sitemaps import sitemaps

# Pages a guardian reads exist in every language: English at /, Korean at /ko/,
# Simplified Chinese at /zh-hans/. Machine-facing URLs have no language prefix.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="django.contrib.sitemaps.views.sitemap"),
    path("language/<str:code>/", views.switch_language, name="switch_language"),
    path("api/v1/", include("trials.urls_api")),
    path("admin/language/", admin_language.choose_admin_language, name="admin_language"),
    # The set-password link that `setup_roles` prints for a new study-team member.
    path(
        "admin/set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("admin:login")),
        name="password_reset_confirm",
    ),
    path("admin/", admin.site.urls),
]
urlpatterns += i18n_patterns(path("", include("trials.urls")), prefix_default_language=False)
