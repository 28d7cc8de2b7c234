"""Tenant schemas are cloned from a migrated template schema instead of migrated one by one.

Running every tenant migration for each new tenant costs about 0.5–1 s on this machine class, and more
as the database holds more schemas (Django's migration introspection reads `information_schema`).
Instead, one template schema (`TENANT_TEMPLATE_SCHEMA`, never a tenant, never routed) is migrated
once, and each new tenant's schema is a copy of it (`config.schema_clone`): its tables, named
constraints, indexes, identity sequences, functions and triggers, and its rows — the content types,
permissions, groups created by data migrations, and the `django_migrations` records, so a later
`migrate_schemas` sees the tenant exactly as if it had been migrated.

The template is checked against the migration files on disk before every clone and rebuilt when a
migration is missing from it (after a deploy that added one), so it cannot go stale. Set
`TENANT_PROVISIONING=migrate` to fall back to django-tenants' plain migrate-per-tenant path.
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from config.schema_clone import SchemaCloneUnsupported, clone_schema

logger = logging.getLogger(__name__)

# pg_advisory_lock key ("tenant template"): a rebuild holds it alone; clones share it with each other.
TEMPLATE_LOCK_KEY = 0x7465_6E61_6E74
DEFAULT_TEMPLATE_SCHEMA = "tenant_template"


def template_schema_name() -> str:
    return getattr(settings, "TENANT_TEMPLATE_SCHEMA", DEFAULT_TEMPLATE_SCHEMA)


def cloning_enabled() -> bool:
    return getattr(settings, "TENANT_PROVISIONING", "clone") == "clone"


@functools.cache
def migrations_on_disk() -> frozenset[tuple[str, str]]:
    """Every migration of the project (`migrate` records them all in each schema, shared apps' too)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def template_missing_migrations(cursor) -> set[tuple[str, str]]:
    """Migrations not recorded in the template (all of them when it does not exist)."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = 'django_migrations')", [template_schema_name()])
    if not cursor.fetchone()[0]:
        return set(migrations_on_disk())
    cursor.execute(f"SELECT app, name FROM {connection.ops.quote_name(template_schema_name())}.django_migrations")
    return set(migrations_on_disk()) - set(cursor.fetchall())


def tenant_template_refresh(*, force: bool = False) -> bool:
    """Build the template schema from the migrations when it is missing or behind them (or `force`).
    Returns whether it was rebuilt. Holds the template lock exclusively meanwhile."""
    template = template_schema_name()
    with connection.cursor() as cursor:
        if not force and not template_missing_migrations(cursor):
            return False
        cursor.execute("SELECT pg_advisory_lock(%s)", [TEMPLATE_LOCK_KEY])
    try:
        with connection.cursor() as cursor:
            if not force and not template_missing_migrations(cursor):
                return False  # another process rebuilt it while this one waited
            quoted = connection.ops.quote_name(template)
            cursor.execute(f"DROP SCHEMA IF EXISTS {quoted} CASCADE")
            cursor.execute(f"CREATE SCHEMA {quoted}")
        call_command("migrate_schemas", tenant=True, schema_name=template, interactive=False, verbosity=0)
        logger.info("tenant template schema %s rebuilt from the migrations", template)
        return True
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [TEMPLATE_LOCK_KEY])


def tenant_schema_create(schema_name: str, *, verbosity: int = 0) -> str:
    """Create and fill the schema of a new tenant. Returns how: "clone" or "migrate"."""
    if schema_name == template_schema_name():
        raise ValidationError(f"'{schema_name}' is the tenant template's schema name; choose another.")
    if cloning_enabled():
        tenant_template_refresh()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # Shared with other clones' transactions; a template rebuild waits for them all.
                cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [TEMPLATE_LOCK_KEY])
                clone_schema(cursor, template_schema_name(), schema_name)
            return "clone"
        except SchemaCloneUnsupported as exc:
            logger.warning("tenant %s: schema cloning not possible (%s); running the migrations instead",
                           schema_name, exc)
        finally:
            connection.set_schema_to_public()  # the clone moved this cursor's search_path
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema_name)}")
    call_command("migrate_schemas", tenant=True, schema_name=schema_name, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()
    return "migrate"
