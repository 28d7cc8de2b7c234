"""A tenant schema that an earlier version left DRF's plaintext `authtoken_token` table in loses it
when migrated; another tenant's schema is left as it is."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection


def tables_named(name: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = %s", [name])
        return {row[0] for row in cursor.fetchall()}


def test_migrating_drops_the_plaintext_token_table_an_earlier_version_left(acme, globex):
    assert "acme" not in tables_named("authtoken_token")  # a schema created since never had it
    call_command("migrate_schemas", "api_tokens", "zero", schema_name="acme", verbosity=0)
    with connection.cursor() as cursor:  # what rest_framework.authtoken had created in acme
        cursor.execute('CREATE TABLE acme.authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz, '
                       'user_id integer UNIQUE)')
        cursor.execute("INSERT INTO acme.authtoken_token VALUES ('plaintext-key', now(), 1)")
    assert "acme" in tables_named("authtoken_token")

    call_command("migrate_schemas", "api_tokens", schema_name="acme", verbosity=0)
    assert "acme" not in tables_named("authtoken_token")
    assert "globex" not in tables_named("authtoken_token")
