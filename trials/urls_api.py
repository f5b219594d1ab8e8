"""The JSON API, for partners and tests. Its URLs carry no language prefix."""

from django.urls import path

from trials import converters  # noqa: F401  (registers <nct:...>)
from trials.views import api_screening, api_sites

urlpatterns = [
    path("questions", api_screening.questions, name="api_questions"),
    path("prescreen", api_screening.prescreen, name="api_prescreen"),
    path("trials/<nct:nct_id>/sites", api_sites.trial_sites, name="api_trial_sites"),
]
