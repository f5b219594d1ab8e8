"""The JSON API, for partners and tests. Its URLs carry no language prefix."""

from django.urls import path

from trials.views import api as screening_api
from trials.views import api_sites

urlpatterns = [
    path("questions", screening_api.questions, name="api_questions"),
    path("prescreen", screening_api.prescreen, name="api_prescreen"),
    path("trials/<str:nct_id>/sites", api_sites.trial_sites, name="api_trial_sites"),
]
