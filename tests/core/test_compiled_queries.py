"""core.compiled_queries: a queryset compiled once per shape gives what the queryset gives, in every
tenant's own schema, and the persona spec reads built on it answer as before."""

from __future__ import annotations

import uuid

import pytest
from django.db.models import F
from django_tenants.utils import schema_context

from core.compiled_queries import CompiledQuery
from personas.models import PersonaSpec
from tests.factories import api_client, make_user
from tests.personas.builders import example_spec, new_twin

ANY_TWIN = uuid.UUID(int=0)
FIELDS = ["id", "twin_id", "version", "status", "spec", "spec_hash", "created_by_id", "created_at", "published_at"]


def specs_of(twin_id, offset=0, limit=10):
    return (PersonaSpec.objects.of_twin(twin_id).annotate(owner_name=F("twin__owner__username"))
            .newest_first()[offset:offset + limit])


def versions(tenant, owner, count: int, name: str = "Twin"):
    """A twin of `owner` with `count` drafts, created over the API."""
    twin = new_twin(owner, name=name)
    client = api_client(tenant, owner)
    for _ in range(count):
        assert client.post(f"/api/twins/{twin.pk}/persona-specs", {"spec": example_spec()},
                           format="json").status_code == 201
    return twin


@pytest.fixture
def acme_owner(acme):
    return make_user(acme, "compiled-owner")


def as_dicts(rows):
    return [{name: getattr(row, name) for name in [*FIELDS, "owner_name"]} for row in rows]


def test_rows_are_what_the_queryset_gives_for_every_shape(acme, acme_owner):
    compiled = CompiledQuery(specs_of, placeholders={"twin_id": ANY_TWIN})
    with schema_context("acme"):
        twin = versions(acme, acme_owner, 5)
        for offset, limit in [(0, 10), (0, 2), (2, 2), (4, 10), (9, 3)]:
            expected = as_dicts(specs_of(twin.pk, offset, limit))
            got = as_dicts(compiled.rows({"offset": offset, "limit": limit}, twin_id=twin.pk))
            assert got == expected, (offset, limit)
        assert [row.version for row in compiled.rows({"offset": 0, "limit": 10}, twin_id=twin.pk)] == [
            "1.0.4", "1.0.3", "1.0.2", "1.0.1", "1.0.0"]
        assert isinstance(compiled.rows({"offset": 0, "limit": 1}, twin_id=twin.pk)[0].spec, dict)  # JSON decoded
        assert compiled.rows({"offset": 0, "limit": 10}, twin_id=uuid.uuid4()) == []


def test_each_shape_is_compiled_once(acme, acme_owner):
    built = []

    def build(twin_id, offset, limit):
        built.append((offset, limit))
        return specs_of(twin_id, offset, limit)

    compiled = CompiledQuery(build, placeholders={"twin_id": ANY_TWIN})
    with schema_context("acme"):
        twin = versions(acme, acme_owner, 1)
        for _ in range(3):
            compiled.rows({"offset": 0, "limit": 10}, twin_id=twin.pk)
            compiled.rows({"offset": 0, "limit": 10}, twin_id=uuid.uuid4())
        compiled.rows({"offset": 10, "limit": 10}, twin_id=twin.pk)
    assert built == [(0, 10), (10, 10)]


def test_one_compiled_form_reads_each_tenants_own_schema(acme, globex):
    compiled = CompiledQuery(lambda twin_id: PersonaSpec.objects.of_twin(twin_id).order_by(),
                             placeholders={"twin_id": ANY_TWIN})
    acme_owner, globex_owner = make_user(acme, "acme-compiled"), make_user(globex, "globex-compiled")
    with schema_context("acme"):
        acme_twin = versions(acme, acme_owner, 2, "Acme twin")
        assert len(compiled.rows(twin_id=acme_twin.pk)) == 2
    with schema_context("globex"):
        globex_twin = versions(globex, globex_owner, 1, "Globex twin")
        assert compiled.rows(twin_id=acme_twin.pk) == []  # acme's twin id finds nothing in globex
        assert [row.twin_id for row in compiled.rows(twin_id=globex_twin.pk)] == [globex_twin.pk]
    with schema_context("acme"):
        assert compiled.rows(twin_id=globex_twin.pk) == []
    assert "acme" not in compiled.sql() and "globex" not in compiled.sql()  # search_path decides


def test_values_must_be_the_placeholders_and_reach_the_sql():
    compiled = CompiledQuery(lambda twin_id: PersonaSpec.objects.of_twin(twin_id), placeholders={"twin_id": ANY_TWIN})
    with pytest.raises(TypeError, match="twin_id"):
        compiled.rows(version="1.0.0")
    unused = CompiledQuery(lambda twin_id: PersonaSpec.objects.all(), placeholders={"twin_id": ANY_TWIN})
    with pytest.raises(ValueError, match="twin_id"):
        unused.sql()


# --- the persona spec reads compiled this way ------------------------------------------------------

def test_reads_name_users_no_longer_linked_as_null(acme, acme_owner):
    with schema_context("acme"):
        author = make_user(acme, "departing-author", perms=["personas.add_personaspec", "personas.view_personaspec",
                                                            "personas.publish_personaspec", "twins.view_twin"])
        twin = new_twin(acme_owner)
        client = api_client(acme, author)
        base = f"/api/twins/{twin.pk}/persona-specs"
        assert client.post(base, {"spec": example_spec()}, format="json").status_code == 201
        assert client.post(f"{base}/1.0.0/publish").status_code == 200
        owner_client = api_client(acme, acme_owner)
        before = owner_client.get(f"{base}/1.0.0").json()
        assert (before["created_by"], before["published_by"]) == ("departing-author", "departing-author")
        # What deleting the account does to the row (SET_NULL); the account itself cannot go while
        # audit events name it (they are append-only).
        PersonaSpec.objects.filter(twin=twin).update(created_by=None, published_by=None)
        for body in (owner_client.get(f"{base}/1.0.0").json(), owner_client.get(f"{base}/active").json()["spec"],
                     owner_client.get(base).json()["results"][0]):
            assert (body["created_by"], body["published_by"]) == (None, None)


def test_reads_refuse_a_twin_id_that_is_not_a_uuid(acme, acme_owner):
    client = api_client(acme, acme_owner)
    for path in ("/api/twins/not-a-uuid/persona-specs", "/api/twins/not-a-uuid/persona-specs/active",
                 "/api/twins/not-a-uuid/persona-specs/1.0.0"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"]
