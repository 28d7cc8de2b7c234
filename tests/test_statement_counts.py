"""SQL statements per request, held to the targets of `make bench` on real requests, with 10 and
many stored versions (the count must not grow with them). SET search_path (django-tenants'
bookkeeping) is not counted; BEGIN/COMMIT are (inside the test's transaction they are a SAVEPOINT
and its RELEASE, the same number).

Targets: a chat turn with a warm cache at most 4, publish at most 10, create at most 8; a list page
a retrieve and the active version at most 2 (the token's and one for the twin, the rows and, for a
list, their count).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from personas.models import PersonaSpec
from personas.spec import spec_hash
from personas.transitions import persona_spec_publish
from tests.factories import api_client, data_queries, make_user
from tests.personas.builders import example_spec, new_twin

CHAT_WARM_MAX = 4
PUBLISH_MAX = 10
CREATE_MAX = 8
READ_MAX = 2


@pytest.fixture
def owner(acme):
    return make_user(acme, "count-owner")


@pytest.fixture
def client(acme, owner):
    client = api_client(acme, owner)
    client.get("/api/twins/")  # routes the host once: its tenant is cached from then on
    return client


def twin_with_versions(owner, count: int):
    """A twin with `count` stored versions, the last one active."""
    with schema_context("acme"):
        twin = new_twin(owner, name=f"{count} versions", public_intro="Hello")
        rows = []
        for patch in range(count):
            spec = example_spec(version=f"1.0.{patch}")
            rows.append(PersonaSpec(
                twin=twin, version=f"1.0.{patch}", version_major=1, version_minor=0, version_patch=patch,
                spec=spec, spec_hash=spec_hash(spec), created_by=owner,
                status=PersonaSpec.Status.ARCHIVED if patch < count - 1 else PersonaSpec.Status.ACTIVE,
            ))
        PersonaSpec.objects.bulk_create(rows)
        return twin


def statements(client, method: str, path: str, body: dict | None = None) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, body, format="json")
    assert response.status_code < 300, response.content[:300]
    return data_queries(captured)


@pytest.mark.parametrize("versions", [10, 200])
def test_create_takes_at_most_eight_statements(client, owner, versions):
    twin = twin_with_versions(owner, versions)
    spec = example_spec()
    spec.pop("version", None)
    sql = statements(client, "post", f"/api/twins/{twin.pk}/persona-specs", {"spec": spec})
    assert len(sql) <= CREATE_MAX, sql
    # One SAVEPOINT: the create's own transaction (inside the test's); none nested in it.
    assert sum(q.startswith("SAVEPOINT") for q in sql) == 1, sql
    with schema_context("acme"):
        assert PersonaSpec.objects.filter(twin=twin, version=f"1.0.{versions}").exists()


@pytest.mark.parametrize("versions", [10, 200])
def test_publish_takes_at_most_ten_statements_and_still_locks_the_twin(client, owner, versions):
    twin = twin_with_versions(owner, versions)
    sql = statements(client, "post", f"/api/twins/{twin.pk}/persona-specs/1.0.3/publish", {})
    assert len(sql) <= PUBLISH_MAX, sql
    assert any("twins_twin" in q and "FOR UPDATE" in q for q in sql), "the twin row is locked"
    assert any("personas_auditevent" in q for q in sql), "the publish is audited"
    with schema_context("acme"):
        assert list(PersonaSpec.objects.of_twin(twin).active().values_list("version", flat=True)) == ["1.0.3"]


@pytest.mark.parametrize("versions", [10, 200])
def test_warm_chat_turn_takes_at_most_four_statements(client, owner, versions):
    twin = twin_with_versions(owner, versions)
    path = f"/api/twins/{twin.pk}/chat"
    statements(client, "post", path, {"message": "Should we raise?"})  # warms the active-spec cache
    sql = statements(client, "post", path, {"message": "Should we raise?"})
    assert len(sql) <= CHAT_WARM_MAX, sql
    assert not any("personas_personaspec" in q for q in sql)


@pytest.mark.parametrize("versions", [10, 200])
def test_list_retrieve_and_active_take_at_most_two_statements(client, owner, versions):
    twin = twin_with_versions(owner, versions)
    base = f"/api/twins/{twin.pk}/persona-specs"
    listed = statements(client, "get", base)
    retrieved = statements(client, "get", f"{base}/1.0.5")
    active = statements(client, "get", f"{base}/active")
    assert len(active) <= READ_MAX, active
    assert len(listed) <= READ_MAX, listed
    assert len(retrieved) <= READ_MAX, retrieved
    assert not any("COUNT(*) AS" in q for q in listed), "the total is counted in the page's own query"


def test_a_listed_page_still_counts_every_version_and_links_the_next(client, owner):
    twin = twin_with_versions(owner, 45)
    base = f"/api/twins/{twin.pk}/persona-specs"
    first = client.get(base).json()
    assert first["count"] == 45 and first["previous"] is None and first["next"].endswith("?page=2")
    assert [row["version"] for row in first["results"][:2]] == ["1.0.44", "1.0.43"]
    last = client.get(base, {"page": 3}).json()
    assert last["count"] == 45 and last["next"] is None and len(last["results"]) == 5
    assert [row["version"] for row in last["results"]][-1] == "1.0.0"
    past = client.get(base, {"page": 4})
    assert past.status_code == 404 and past.json()["detail"] == "Invalid page."


def test_list_of_a_twin_without_versions_is_an_empty_page(client, owner):
    with schema_context("acme"):
        twin = new_twin(owner, name="No versions", public_intro="Hello")
    body = client.get(f"/api/twins/{twin.pk}/persona-specs").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_list_keeps_permissions_and_tenants_apart(acme, globex, client, owner):
    twin = twin_with_versions(owner, 3)
    stranger = api_client(acme, make_user(acme, "count-stranger"))
    assert stranger.get(f"/api/twins/{twin.pk}/persona-specs").status_code == 404
    other_tenant = api_client(globex, make_user(globex, "count-owner"))
    assert other_tenant.get(f"/api/twins/{twin.pk}/persona-specs").status_code == 404
    assert client.get("/api/twins/not-a-uuid/persona-specs").status_code == 404
    for path in (f"/api/twins/{twin.pk}/persona-specs/active", f"/api/twins/{twin.pk}/persona-specs/1.0.1"):
        assert stranger.get(path).status_code == 404
        assert other_tenant.get(path).status_code == 404


def test_statement_counts_do_not_grow_with_the_number_of_versions(client, owner):
    counts = []
    for versions in (10, 200):
        twin = twin_with_versions(owner, versions)
        base = f"/api/twins/{twin.pk}/persona-specs"
        counts.append([
            len(statements(client, "post", base, {"spec": {k: v for k, v in example_spec().items() if k != "version"}})),
            len(statements(client, "post", f"{base}/1.0.3/publish", {})),
            len(statements(client, "get", f"{base}/1.0.5")),
            len(statements(client, "get", base)),
            len(statements(client, "get", f"{base}/active")),
        ])
    assert counts[0] == counts[1]


def test_publish_through_the_service_after_the_reads_were_merged_keeps_one_active(acme, owner):
    twin = twin_with_versions(owner, 5)
    with schema_context("acme"):
        target = PersonaSpec.objects.get(twin=twin, version="1.0.2")
        result = persona_spec_publish(persona_spec=target, actor=owner)
        assert result.previous_active_version == "1.0.4"
        assert result.persona_spec.created_by == owner  # loaded with the locked row, no lazy read
        assert list(PersonaSpec.objects.of_twin(twin).active().values_list("version", flat=True)) == ["1.0.2"]
