"""Unauthenticated input never gets a server error or a redirect to another site; headers that protect privacy."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.usefixtures("trials_data")


@pytest.mark.parametrize(
    "path",
    [
        "/trials/A%00B/",
        "/trials/NCT0530372%00/",
        "/trials/NCT05303727%00/contact/",
        "/ko/trials/N%00/",
        "/trials/NCT05303727/screen%00/",
        "/api/v1/trials/N%00/sites?near=Busan",
        "/trials/NCT0530372/",
        "/trials/NCT053037270/",
    ],
)
def test_a_malformed_trial_number_is_a_plain_404_and_never_reaches_the_database(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 404
    assert not any("\x00" in str(query["sql"]) or "\x00" in str(query.get("params")) for query in queries)


@pytest.mark.parametrize("header", [{"HTTP_ACCEPT_LANGUAGE": "ko"}, {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}])
def test_a_double_slash_path_never_redirects_to_another_site(client, header):
    for path in ("//evil.example/trials/", "//evil.example/", "///evil.example/faq/"):
        response = client.get(path, **header)
        location = response.get("Location", "")
        # No redirect at all, or one that stays on this site.
        assert location == "" or (location.startswith("/") and not location.startswith("//")), location
        assert response.status_code in (301, 302, 404)


def test_a_korean_visitor_is_still_sent_to_the_korean_page(client):
    response = client.get("/trials/?age=8", HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 302 and response["Location"] == "/ko/trials/?age=8"


def test_the_page_cache_ignores_query_strings_the_page_does_not_read(client):
    pages = caches["pages"]
    for n in range(30):
        assert client.get(f"/faq/?utm_source={n}").status_code == 200
    assert len(pages._cache) == 1  # one page, not thirty
    client.get("/trials/?age=8")
    client.get("/trials/?age=9&utm=x")
    client.get("/trials/?utm=y&age=9")
    assert len(pages._cache) == 3


def test_the_page_cache_keeps_pages_apart_by_host(client, settings):
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    client.get("/faq/", HTTP_HOST="one.example")
    client.get("/faq/", HTTP_HOST="two.example")
    assert len(caches["pages"]._cache) == 2


def test_the_page_cache_is_bounded_and_a_flood_of_pages_leaves_other_state_alone(client, monkeypatch):
    from django.conf import settings
    from django.core.cache import cache

    pages = caches["pages"]
    assert pages._max_entries == settings.PAGE_CACHE_MAX_ENTRIES
    monkeypatch.setattr(pages, "_max_entries", 20)  # the same bound, smaller, so the flood is quick
    cache.set("some-state", "kept", None)
    for n in range(60):
        client.get(f"/trials/?age={n}")
    assert len(pages._cache) <= 20
    assert cache.get("some-state") == "kept"


def test_permissions_policy_allows_the_location_only_on_the_contact_page(client):
    contact = client.get("/trials/NCT05303727/contact/")
    assert "geolocation=(self)" in contact["Permissions-Policy"]
    for path in ("/", "/faq/", "/trials/NCT05303727/"):
        policy = client.get(path)["Permissions-Policy"]
        assert "geolocation=()" in policy and "camera=()" in policy


@pytest.mark.parametrize("path", ["/screen/", "/trials/NCT06516679/screen/", "/trials/NCT05303727/contact/"])
def test_pages_with_a_childs_answers_or_personal_details_are_never_stored_by_a_cache(client, path):
    assert "no-store" in client.get(path)["Cache-Control"]
    assert "no-store" in client.post(path, {"step": "1"})["Cache-Control"]


def test_reading_pages_may_be_cached(client):
    assert "no-store" not in client.get("/faq/").get("Cache-Control", "")


def test_deploy_check_fails_when_the_cache_library_is_missing_or_the_server_is_down(settings):
    from trials.checks import check_cache_backends

    assert check_cache_backends(None) == []
    settings.CACHES = {
        **settings.CACHES,
        "broken": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache", "LOCATION": "127.0.0.1:1"},
    }
    (problem,) = check_cache_backends(None)
    assert problem.id == "trials.E003" and "broken" in problem.msg
    settings.CACHES = {
        **settings.CACHES,
        "broken": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    (problem,) = check_cache_backends(None)
    assert problem.id == "trials.E004"
