"""Every admin list, with nonsense in each of its filters, its search, sorting and paging: never a server error."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from trials.admin.follow import ADDRESSES_PERMISSION
from trials.tests import factories
from trials.tests.staff import staff_login

# Not a number, a NUL byte (PostgreSQL refuses it), past any integer column, not a date.
NONSENSE = ["abc", "1\x00", "99999999999999999999999", "2026-13-45"]


@pytest.fixture
def superuser(db):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "a-long-test-password-1")
    # Followers' addresses need a permission of their own, which being a superuser does not give.
    user.user_permissions.add(Permission.objects.get(codename=ADDRESSES_PERMISSION))
    return user


def changelists():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def filter_parameters(model_admin, user) -> set[str]:
    """The query parameters the list's own filters and date drill-down read."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = {name for spec in changelist.filter_specs for name in spec.expected_parameters()}
    if model_admin.date_hierarchy:
        names |= {f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")}
    return names


def test_every_admin_list_takes_nonsense_in_every_filter_without_a_server_error(client, superuser):
    site = factories.site(factories.trial(), "Hospital A", team_email="a@example.org")
    factories.contact_message(site)
    staff_login(client, superuser)
    checked = 0
    for model, model_admin in changelists():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        parameters = filter_parameters(model_admin, superuser) | {"q", "o", "p"}
        for name in sorted(parameters):
            for value in NONSENSE:
                response = client.get(url, {name: value})
                assert response.status_code < 500, (url, name, value)
                checked += 1
    assert checked > 300  # every list, every filter
