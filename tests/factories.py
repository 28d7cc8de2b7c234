"""Small builders for tests: users with permissions, API clients on a tenant host."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from api_tokens.services import api_token_create
from config.models import Tenant

_counter = itertools.count()


def make_user(tenant: Tenant, username: str | None = None, *, password: str = "pw-for-tests-1", perms=(),
              staff: bool = False, superuser: bool = False):
    """A user in `tenant`'s schema, with the given `app_label.codename` permissions."""
    username = username or f"user{next(_counter)}"
    with schema_context(tenant.schema_name):
        User = get_user_model()
        user = User.objects.create_user(username=username, password=password, is_staff=staff or superuser,
                                        is_superuser=superuser)
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return User.objects.get(pk=user.pk)  # fresh instance: no stale permission cache


def make_token(tenant: Tenant, user, *, expires_in=None) -> str:
    """A new API token of `user` in `tenant` (valid until revoked unless `expires_in` says otherwise)."""
    with schema_context(tenant.schema_name):
        _row, token = api_token_create(user=user, expires_in=expires_in)
    return token


def api_client(tenant: Tenant, user=None) -> APIClient:
    """An API client on `tenant`'s host, authenticated with a new token of `user` when given."""
    client = APIClient(HTTP_HOST=f"{tenant.schema_name}.localhost")
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(tenant, user)}")
    return client


def demo_admin(tenant: Tenant):
    with schema_context(tenant.schema_name):
        return get_user_model().objects.get(username="admin")


def data_queries(captured) -> list[str]:
    """The SQL a CaptureQueriesContext saw, minus django-tenants' `SET search_path` bookkeeping."""
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]


def url_of_the_test_database() -> str:
    """A DATABASE_URL naming the test database, for a server or command in its own interpreter
    (the embedded server listens on a Unix socket: its directory, percent-encoded, is the host)."""
    from django.db import connection

    from tests.config.serving import database_url

    return database_url(connection.settings_dict)
