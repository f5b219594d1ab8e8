"""Pages a guardian reads. Mounted under each language prefix (see trialfinder/urls.py)."""

from django.urls import path

from trials import (
    converters,  # noqa: F401  (registers <nct:...>)
    views,
)
from trials.views import contact as contact_views
from trials.views import doctor as doctor_views
from trials.views import follow as follow_views
from trials.views import notes as notes_views
from trials.views import screening as screening_views

urlpatterns = [
    path("", views.home, name="home"),
    path("trials/", views.trial_list, name="trial_list"),
    path("trials/<nct:nct_id>/", views.trial_detail, name="trial_detail"),
    path("trials/<nct:nct_id>/sites/", views.trial_sites, name="trial_sites"),
    path("screen/", screening_views.screen, name="screen"),
    path("trials/<nct:nct_id>/screen/", screening_views.trial_screen, name="trial_screen"),
    path("trials/<nct:nct_id>/contact/", contact_views.contact, name="trial_contact"),
    path("trials/<nct:nct_id>/contact/sent/<str:token>/", contact_views.contact_sent, name="trial_contact_sent"),
    path("trials/<nct:nct_id>/follow/", follow_views.follow, name="trial_follow"),
    path("trials/<nct:nct_id>/follow/sent/<str:token>/", follow_views.follow_sent, name="trial_follow_sent"),
    path("follow/confirm/<str:token>/", follow_views.follow_confirm, name="follow_confirm"),
    path("follow/stop/<str:token>/", follow_views.follow_stop, name="follow_stop"),
    path("follow/stopped/", follow_views.follow_stopped, name="follow_stopped"),
    path("faq/", views.faq, name="faq"),
    path("glossary/", views.glossary, name="glossary"),
    path("privacy/", views.privacy, name="privacy"),
    path("about/", views.about, name="about"),
    path("notes/", notes_views.notes_page, name="notes"),
    path("notes/share/", notes_views.share, name="share_notes"),
    path("notes/s/<str:link>/", notes_views.shared_notes, name="shared_notes"),
    path("notes/s/<str:link>/delete/", notes_views.shared_notes_delete, name="shared_notes_delete"),
    path("doctor/", doctor_views.doctor, name="doctor"),
]
