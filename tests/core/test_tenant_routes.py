"""Host → tenant routes are cached per host, and a change to a domain or tenant row is seen at once."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from config.models import Domain
from tests.factories import api_client, data_queries, demo_admin


def domain_lookups(client, path="/api/twins/") -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return response.status_code, sum("config_domain" in q for q in data_queries(captured))


def twin_names(tenant) -> set[str]:
    from twins.models import Twin

    with schema_context(tenant.schema_name):
        return set(Twin.objects.values_list("name", flat=True))


def test_a_host_is_looked_up_once_and_each_tenant_keeps_its_own_route(acme, globex):
    acme_client, globex_client = api_client(acme, demo_admin(acme)), api_client(globex, demo_admin(globex))
    assert domain_lookups(acme_client) == (200, 1)
    assert domain_lookups(acme_client) == (200, 0)
    assert domain_lookups(globex_client) == (200, 1)  # another host is another key
    assert domain_lookups(globex_client) == (200, 0)
    # Served from the cache, each host still reaches its own schema only.
    assert {twin["name"] for twin in acme_client.get("/api/twins/").json()["results"]} == twin_names(acme)
    assert {twin["name"] for twin in globex_client.get("/api/twins/").json()["results"]} == twin_names(globex)
    assert twin_names(acme) != twin_names(globex)
    # acme's token means nothing on globex's (cached) host.
    assert acme_client.get("/api/twins/", HTTP_HOST="globex.localhost").status_code == 401


def test_an_unknown_host_is_never_cached(db):
    client = Client(HTTP_HOST="initech.localhost")
    assert domain_lookups(client) == (404, 1)
    assert domain_lookups(client) == (404, 1)


def test_renaming_a_domain_moves_its_route_at_once(acme):
    client = api_client(acme, demo_admin(acme))
    assert client.get("/api/twins/").status_code == 200  # cached now
    domain = Domain.objects.get(domain="acme.localhost")
    domain.domain = "acme-renamed.localhost"
    domain.save()
    assert client.get("/api/twins/").status_code == 404
    assert client.get("/api/twins/", HTTP_HOST="acme-renamed.localhost").status_code == 200


def test_deleting_a_domain_stops_its_route_at_once(globex):
    client = api_client(globex, demo_admin(globex))
    assert client.get("/api/twins/").status_code == 200  # cached now
    Domain.objects.filter(domain="globex.localhost").get().delete()
    assert client.get("/api/twins/").status_code == 404


def test_a_new_domain_for_a_tenant_routes_to_it(acme):
    assert Client(HTTP_HOST="acme2.localhost").get("/api/twins/").status_code == 404
    Domain.objects.create(domain="acme2.localhost", tenant=acme, is_primary=False)
    response = api_client(acme, demo_admin(acme)).get("/api/twins/", HTTP_HOST="acme2.localhost")
    assert response.status_code == 200
