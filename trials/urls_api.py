"""The JSON API, for partners and tests. Its URLs carry no language prefix."""

urlpatterns = []
