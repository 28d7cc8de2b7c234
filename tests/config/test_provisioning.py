"""Tenant schemas cloned from the template are the schemas the migrations make, and work as tenants.

The catalogs of a schema made by running the migrations and of a schema cloned from the template are
compared object by object, names included (django-tenants' own clone renamed named unique constraints,
which breaks later migrations). Then a cloned tenant is used over the API, end to end, beside acme.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import override_settings
from django_tenants.utils import schema_context

from config.models import Domain, Tenant
from config.provisioning import (
    migrations_on_disk,
    template_missing_migrations,
    template_schema_name,
    tenant_schema_create,
    tenant_template_refresh,
)
from config.schema_clone import SchemaCloneUnsupported, clone_schema
from tests.factories import api_client, demo_admin, make_token, make_user

EXAMPLE_SPEC = Path(settings.BASE_DIR) / "personas" / "fixtures" / "persona_spec_example.json"

CATALOG_QUERIES = {
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attcollation
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped""",
    "constraints": """
        SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid, true), k.condeferrable, k.condeferred
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = %(ns)s""",
    "indexes": """
        SELECT c.relname, pg_get_indexdef(i.indexrelid, 0, true)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = %(ns)s""",
    "sequences": """
        SELECT c.relname, s.seqtypid::regtype::text, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
               s.seqcycle, t.relname, a.attname
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
        JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE c.relnamespace = %(ns)s""",
    "triggers": """
        SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid, true), t.tgenabled
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal""",
    "functions": """
        SELECT proname, pg_get_function_identity_arguments(oid), prorettype::regtype::text, prosrc, prolang,
               provolatile
        FROM pg_proc WHERE pronamespace = %(ns)s""",
    "comments": """
        SELECT relname, obj_description(oid, 'pg_class') FROM pg_class WHERE relnamespace = %(ns)s AND relkind = 'r'""",
}
# Rows the migrations and their post_migrate handlers write: a clone must carry them, ids included.
SEEDED_TABLES = ["django_content_type", "auth_permission", "auth_group", "auth_group_permissions"]


def catalog(schema: str) -> dict[str, list]:
    """Every object of `schema` that the clone must reproduce, printed unqualified (search_path)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])
        namespace = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('search_path', quote_ident(%s), false)", [schema])
        snapshot = {}
        for kind, query in CATALOG_QUERIES.items():
            cursor.execute(query, {"ns": namespace})
            snapshot[kind] = sorted(cursor.fetchall(), key=repr)
        for table in SEEDED_TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            snapshot[table] = cursor.fetchall()
        cursor.execute("SELECT app, name FROM django_migrations")
        snapshot["migrations"] = sorted(cursor.fetchall())
    connection.set_schema_to_public()  # django-tenants sets its own search_path again on the next cursor
    return snapshot


def drop_schema(name: str) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(name)} CASCADE")


@pytest.fixture(scope="module")
def migrated_and_cloned(django_db_setup, django_db_blocker):
    """Two fresh schemas: one made by the migrations, one cloned from the template."""
    with django_db_blocker.unblock():
        with override_settings(TENANT_PROVISIONING="migrate"):
            assert tenant_schema_create("prov_migrated") == "migrate"
        assert tenant_schema_create("prov_cloned") == "clone"
        yield "prov_migrated", "prov_cloned"
        drop_schema("prov_migrated")
        drop_schema("prov_cloned")


def test_a_cloned_schema_has_every_object_of_a_migrated_one_under_the_same_name(migrated_and_cloned, committed_db):
    migrated, cloned = (catalog(schema) for schema in migrated_and_cloned)
    assert migrated["triggers"], "the migrations create triggers: the comparison must cover them"
    assert ("personas_personaspec", "uniq_persona_spec_twin_version") in {row[:2] for row in migrated["constraints"]}
    assert any(name == "one_active_persona_spec_per_twin" for name, _ in migrated["indexes"])
    for kind in migrated:
        assert cloned[kind] == migrated[kind], f"{kind} differ between the migrated and the cloned schema"


def test_a_cloned_schema_records_every_migration_so_migrate_schemas_has_nothing_to_do(migrated_and_cloned,
                                                                                     committed_db):
    _, cloned = migrated_and_cloned
    assert set(catalog(cloned)["migrations"]) >= set(migrations_on_disk())
    connection.set_schema(cloned)
    try:
        executor = MigrationExecutor(connection)
        assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    finally:
        connection.set_schema_to_public()
    call_command("migrate_schemas", tenant=True, schema_name=cloned, interactive=False, verbosity=0)


def test_named_constraints_of_a_cloned_schema_can_be_dropped_and_added_by_name(migrated_and_cloned, committed_db):
    """What a later migration that alters a named constraint does: it finds it by its name."""
    _, cloned = migrated_and_cloned
    models = [model for app in settings.TENANT_APPS if "." not in app
              for model in apps.get_app_config(app).get_models() if model._meta.constraints]
    assert models, "tenant apps declare named constraints: the test must exercise some"
    with schema_context(cloned), transaction.atomic():
        with connection.schema_editor(atomic=False) as editor:
            for model in models:
                for constraint in model._meta.constraints:
                    editor.remove_constraint(model, constraint)
                    editor.add_constraint(model, constraint)
        transaction.set_rollback(True)


@pytest.fixture
def initech(committed_db):
    """A tenant created the ordinary way (Tenant.save → cloned schema), with a host and an admin."""
    tenant = Tenant(schema_name="initech", name="Initech")
    tenant.save(verbosity=0)
    Domain.objects.create(domain="initech.localhost", tenant=tenant, is_primary=True)
    try:
        yield tenant
    finally:
        connection.set_schema_to_public()
        tenant.delete(force_drop=True)


def test_a_cloned_tenant_works_end_to_end_and_sees_nothing_of_acme(initech):
    from personas.models import AuditEvent, PersonaSpec

    acme = Tenant.objects.get(schema_name="acme")
    owner = make_user(initech, "peter", superuser=True)
    client = api_client(initech, owner)

    twin = client.post("/api/twins/", {"name": "Peter's twin"}, format="json")
    assert twin.status_code == 201, twin.content
    twin_id = twin.json()["id"]
    spec = json.loads(EXAMPLE_SPEC.read_text())
    created = client.post(f"/api/twins/{twin_id}/persona-specs", {"spec": spec, "version": "1.0.0"}, format="json")
    assert created.status_code == 201, created.content
    published = client.post(f"/api/twins/{twin_id}/persona-specs/1.0.0/publish")
    assert published.status_code == 200, published.content
    chat = client.post(f"/api/twins/{twin_id}/chat", {"message": "Should we raise prices?"}, format="json")
    assert chat.status_code == 200, chat.content
    assert chat.json()["trace"]["prompt_source"] == "persona_spec"

    with schema_context("initech"):
        # The template's triggers guard the clone's own tables.
        with pytest.raises(IntegrityError), transaction.atomic():
            PersonaSpec.objects.filter(twin_id=twin_id).update(notes="rewritten")
        with pytest.raises(IntegrityError), transaction.atomic():
            AuditEvent.objects.filter(twin_id=twin_id).delete()
        # Copied rows moved the identity sequences on: new rows do not collide with them.
        from django.contrib.auth.models import Group, Permission

        assert Group.objects.filter(name="Persona governance").exists()
        Group.objects.create(name="A new group")
        Permission.objects.create(name="extra", codename="extra", content_type_id=Permission.objects.first().content_type_id)

    # Isolation: acme's credentials mean nothing on initech, and initech's twin does not exist on acme.
    assert api_client(initech, None).get("/api/twins/").status_code == 401
    acme_on_initech = api_client(initech)
    acme_on_initech.credentials(HTTP_AUTHORIZATION=f"Token {make_token(acme, demo_admin(acme))}")
    assert acme_on_initech.get("/api/twins/").status_code == 401
    acme_client = api_client(acme, demo_admin(acme))
    assert acme_client.get(f"/api/twins/{twin_id}/").status_code == 404
    assert twin_id not in {row["id"] for row in acme_client.get("/api/twins/").json()["results"]}
    assert {row["id"] for row in client.get("/api/twins/").json()["results"]} == {twin_id}


def test_the_template_is_rebuilt_when_a_migration_is_missing_from_it(committed_db):
    template = template_schema_name()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {template}.django_migrations WHERE app = 'personas' AND name LIKE '0007%%'")
        assert template_missing_migrations(cursor)
    assert tenant_template_refresh() is True
    with connection.cursor() as cursor:
        assert template_missing_migrations(cursor) == set()
    assert tenant_template_refresh() is False


def test_refresh_tenant_template_command_says_whether_it_rebuilt(committed_db):
    from io import StringIO

    out = StringIO()
    call_command("refresh_tenant_template", stdout=out)
    assert "already up to date" in out.getvalue()
    call_command("refresh_tenant_template", "--force", stdout=out)
    assert "rebuilt from the migrations" in out.getvalue()
    with connection.cursor() as cursor:
        assert template_missing_migrations(cursor) == set()


def test_no_tenant_may_take_the_templates_schema_name(db):
    with pytest.raises(ValidationError, match="template"):
        Tenant(schema_name=template_schema_name(), name="Impostor").full_clean()
    with pytest.raises(ValidationError):
        Tenant(schema_name=template_schema_name(), name="Impostor").save(verbosity=0)
    assert not Tenant.objects.filter(schema_name=template_schema_name()).exists()


def test_a_template_with_an_object_the_clone_cannot_copy_is_refused_whole(db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA prov_with_view; CREATE TABLE prov_with_view.t (id int PRIMARY KEY); "
                       "CREATE VIEW prov_with_view.v AS SELECT id FROM prov_with_view.t")
        with pytest.raises(SchemaCloneUnsupported, match="views"):
            clone_schema(cursor, "prov_with_view", "prov_copy")
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'prov_copy'")
        assert cursor.fetchone()[0] == 0
    connection.set_schema_to_public()


def test_a_template_migrated_in_place_is_read_again_not_served_from_the_process_cache(db):
    """The source catalog is kept per process; a migration applied to the template itself must reach
    the next clone (the cache key carries the template's migration records)."""
    template = template_schema_name()
    with connection.cursor() as cursor:
        clone_schema(cursor, template, "prov_before")  # reads and keeps the template's catalog
        connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {template}.prov_added (id int PRIMARY KEY); "
                       f"INSERT INTO {template}.django_migrations (app, name, applied) "
                       "VALUES ('prov', '0001_added', now())")
        clone_schema(cursor, template, "prov_after")
        cursor.execute("SELECT to_regclass('prov_after.prov_added') IS NOT NULL, "
                       "to_regclass('prov_before.prov_added') IS NOT NULL")
        assert cursor.fetchone() == (True, False)
    connection.set_schema_to_public()  # everything above is rolled back with the test's transaction
