"""The fuzz tenant: a fresh schema with one user (allowed everything), an API token and a twin."""

from __future__ import annotations

FUZZ_SCHEMA = "fuzz"
FUZZ_HOST = "fuzz.localhost"


def api_token_for(user) -> str:
    """The token `make fuzz` sends. One place, so a change of token model changes only this."""
    from api_tokens.services import api_token_create

    return api_token_create(user=user, expires_in=None)[1]


def fresh_fuzz_tenant() -> str:
    """Drop and recreate the fuzz tenant; return its user's API token."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from config.models import Domain, Tenant
    from twins.services import twin_create

    drop_fuzz_tenant()
    tenant = Tenant(schema_name=FUZZ_SCHEMA, name="Fuzzing")
    tenant.save(verbosity=0)
    Domain.objects.create(domain=FUZZ_HOST, tenant=tenant, is_primary=True)
    with schema_context(FUZZ_SCHEMA):
        user = get_user_model().objects.create_superuser("fuzz", password="fuzz-password-1")
        twin_create(owner=user, name="Fuzzed twin", settings={"public_intro": "I am fuzzed."})
        return api_token_for(user)


def drop_fuzz_tenant() -> None:
    from config.models import Tenant

    existing = Tenant.objects.filter(schema_name=FUZZ_SCHEMA).first()
    if existing is not None:
        existing.delete(force_drop=True)
