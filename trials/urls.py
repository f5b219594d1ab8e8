"""Pages a guardian reads. Mounted under each language prefix (see trialfinder/urls.py)."""

from django.urls import path

from trials import views

urlpatterns = [
    path("", views.home, name="home"),
    path("trials/", views.trial_list, name="trial_list"),
    path("trials/<str:nct_id>/", views.trial_detail, name="trial_detail"),
    path("faq/", views.faq, name="faq"),
    path("glossary/", views.glossary, name="glossary"),
    path("privacy/", views.privacy, name="privacy"),
    path("about/", views.about, name="about"),
]
