"""The active-spec caches are keyed by tenant: the same twin id and version in two tenants never share.

Twin ids are UUIDs, so two tenants holding the same id is rare; but a tenant imported from another's
dump, or a client choosing ids, would do it, and the cache must then serve each tenant its own spec.
The compiled form is also keyed by spec hash, so two tenants could only meet there with equal specs
(equal compiled forms): the pointer is what these tests can catch mixing tenants.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from personas.selectors import active_compiled_persona, active_spec_pointer, clear_local_compiled_cache
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import make_user
from tests.personas.builders import example_spec, new_twin
from twins.models import Twin

ACME_RULE = "Acme rule: never fabricate sources, numbers or certainty."
GLOBEX_RULE = "Globex rule: answer with one number and nothing else."


def publish(twin, owner, spec, django_capture_on_commit_callbacks):
    draft = persona_spec_create(twin=twin, actor=owner, spec=spec)
    with django_capture_on_commit_callbacks(execute=True):  # the cache refresh, in this schema
        persona_spec_publish(persona_spec=draft, actor=owner)
    return draft


@pytest.fixture
def twin_id_in_both_tenants(acme, globex, django_capture_on_commit_callbacks):
    """One twin id, version 1.0.0 active in both tenants, each with its own spec."""
    acme_owner, globex_owner = make_user(acme, "cache-owner"), make_user(globex, "cache-owner")
    specs = {}
    with schema_context("acme"):
        twin = new_twin(acme_owner, name="Same id")
        specs["acme"] = publish(twin, acme_owner, example_spec(constitution=[ACME_RULE]),
                                django_capture_on_commit_callbacks)
    with schema_context("globex"):
        globex_twin = Twin(id=twin.pk, owner=globex_owner, name="Same id")
        globex_twin.full_clean()
        globex_twin.save(force_insert=True)
        specs["globex"] = publish(globex_twin, globex_owner, example_spec(constitution=[GLOBEX_RULE]),
                                  django_capture_on_commit_callbacks)
    assert specs["acme"].version == specs["globex"].version == "1.0.0"
    assert specs["acme"].spec_hash != specs["globex"].spec_hash
    return twin.pk, specs


def each_tenants_view(twin_id):
    """(version, spec hash, constitution of the compiled spec) per tenant, read through the caches."""
    seen = {}
    for schema in ("acme", "globex"):
        with schema_context(schema):
            pointer, _ = active_spec_pointer(twin_id)
            _, compiled = active_compiled_persona(twin_id)
            seen[schema] = (pointer.version, pointer.spec_hash, compiled.spec["constitution"])
    return seen


def expected(specs):
    return {schema: ("1.0.0", spec.spec_hash, spec.spec["constitution"]) for schema, spec in specs.items()}


def test_warm_caches_serve_each_tenant_its_own_active_spec(twin_id_in_both_tenants):
    twin_id, specs = twin_id_in_both_tenants
    # Both publishes filled the pointer and the compiled form; globex's came second.
    assert each_tenants_view(twin_id) == expected(specs)
    assert each_tenants_view(twin_id)["globex"][2] == [GLOBEX_RULE]


@pytest.mark.parametrize("first", ["acme", "globex"])
def test_a_cold_lookup_in_one_tenant_does_not_answer_for_the_other(twin_id_in_both_tenants, first):
    twin_id, specs = twin_id_in_both_tenants
    cache.clear()
    clear_local_compiled_cache()
    with schema_context(first):
        pointer, spec = active_spec_pointer(twin_id)
        assert spec is not None, "a cold lookup reads the database"
        assert pointer.spec_hash == specs[first].spec_hash
    assert each_tenants_view(twin_id) == expected(specs)


def test_no_active_spec_in_one_tenant_is_not_cached_for_the_other(acme, globex, django_capture_on_commit_callbacks):
    acme_owner, globex_owner = make_user(acme, "cache-owner"), make_user(globex, "cache-owner")
    with schema_context("acme"):
        twin = new_twin(acme_owner, name="Same id")
        published = publish(twin, acme_owner, example_spec(), django_capture_on_commit_callbacks)
    with schema_context("globex"):
        Twin.objects.create(id=twin.pk, owner=globex_owner, name="Same id, legacy persona")
    cache.clear()
    clear_local_compiled_cache()
    with schema_context("globex"):
        assert active_spec_pointer(twin.pk) == (None, None)  # and "none" is now cached for globex
        assert active_spec_pointer(twin.pk) == (None, None)
    with schema_context("acme"):
        pointer, _ = active_spec_pointer(twin.pk)
        assert pointer is not None and pointer.spec_hash == published.spec_hash
