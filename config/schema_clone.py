"""Copy a PostgreSQL schema's tables, constraints, indexes, functions, triggers and rows into a new schema.

Why not django-tenants' `clone_schema()` (pg-clone-schema): on this project it took 1.5–2.4 s per
tenant, longer than running the migrations, and it renames named unique constraints
(`uniq_twin_version` came back as `..._key`), which breaks a later migration that drops or alters
them. This clone is read from the catalogs with `pg_get_*def()` and keeps every name: constraints,
indexes, identity sequences, functions and triggers come out as the migrations made them.

Definitions are read with `search_path` set to the source schema alone, so PostgreSQL prints the
source's objects unqualified, and replayed with `search_path` set to the target alone, so they land
there. Only the catalogs (`pg_catalog`, filtered by namespace oid) are read: `information_schema`
slows down as the number of schemas grows, and provisioning must not.

Object kinds this project's migrations do not create (views, enum or domain types, free-standing
sequences, row-level security policies, rules, aggregates) are refused with SchemaCloneUnsupported
rather than copied half-way: the caller falls back to running the migrations.
"""

from __future__ import annotations

from psycopg import sql

# Applied when columns are copied: everything about a column except indexes (recreated below by
# name) and constraints other than CHECK and NOT NULL (added below by name).
LIKE_OPTIONS = (
    "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY INCLUDING GENERATED "
    "INCLUDING STORAGE INCLUDING COMMENTS"
)

UNSUPPORTED_CHECKS = {
    "views, materialized views, foreign or partitioned tables": (
        "SELECT relname FROM pg_class WHERE relnamespace = %(ns)s AND relkind IN ('v', 'm', 'f', 'p')"
    ),
    "types of their own (enum, domain, composite, range)": (
        "SELECT t.typname FROM pg_type t WHERE t.typnamespace = %(ns)s AND t.typtype IN ('e', 'd', 'r', 'm') "
        "UNION ALL SELECT t.typname FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid "
        "WHERE t.typnamespace = %(ns)s AND t.typtype = 'c' AND c.relkind = 'c'"
    ),
    "sequences not owned by an identity column": (
        "SELECT s.relname FROM pg_class s WHERE s.relnamespace = %(ns)s AND s.relkind = 'S' AND NOT EXISTS "
        "(SELECT 1 FROM pg_depend d WHERE d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'i')"
    ),
    "row-level security policies": (
        "SELECT p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = %(ns)s"
    ),
    "rules": (
        "SELECT r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class "
        "WHERE c.relnamespace = %(ns)s AND c.relkind = 'r'"
    ),
    "aggregates or window functions": (
        "SELECT proname FROM pg_proc WHERE pronamespace = %(ns)s AND prokind IN ('a', 'w')"
    ),
}


class SchemaCloneUnsupported(Exception):
    """The source schema holds an object kind this clone does not copy."""


def clone_schema(cursor, source: str, target: str) -> None:
    """Create schema `target` as a copy of `source`, rows included. Run inside a transaction: a failure
    leaves nothing behind. Leaves the cursor's search_path at `target` (the caller resets it)."""
    statements = clone_statements(cursor, source, target)
    # One round trip: a tenant's whole DDL is a few hundred statements.
    cursor.execute(";\n".join(statements))


def clone_statements(cursor, source: str, target: str) -> list[str]:
    """The SQL that makes `target` a copy of `source`, read from the catalogs. Leaves the cursor's
    search_path at `source`."""
    namespace = _namespace_oid(cursor, source)
    _refuse_unsupported(cursor, namespace)
    src, dst = sql.Identifier(source), sql.Identifier(target)

    cursor.execute("SELECT set_config('search_path', %s, true)", [_quoted(cursor, source)])
    tables = _fetch(cursor, "SELECT oid, relname FROM pg_class WHERE relnamespace = %(ns)s AND relkind = 'r' "
                            "ORDER BY relname", namespace)
    constraints = _fetch(cursor, """
        SELECT c.relname, k.conname, pg_get_constraintdef(k.oid, true), k.contype
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE c.relnamespace = %(ns)s AND k.contype IN ('p', 'u', 'x', 'f')
        ORDER BY k.contype = 'f', c.relname, k.conname""", namespace)
    indexes = _fetch(cursor, """
        SELECT pg_get_indexdef(i.indexrelid, 0, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = %(ns)s
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
        ORDER BY c.relname""", namespace)
    functions = _fetch(cursor, "SELECT pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = %(ns)s "
                               "ORDER BY proname", namespace)
    triggers = _fetch(cursor, """
        SELECT pg_get_triggerdef(t.oid, true) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal ORDER BY c.relname, t.tgname""", namespace)
    columns = _fetch(cursor, """
        SELECT c.relname, array_agg(a.attname ORDER BY a.attnum)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attgenerated = ''
        GROUP BY c.relname""", namespace)
    identity_sequences = _fetch(cursor, """
        SELECT t.relname, a.attname, s.relname
        FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'i'
        JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE s.relnamespace = %(ns)s AND s.relkind = 'S'""", namespace)
    table_comments = _fetch(cursor, """
        SELECT relname, obj_description(oid, 'pg_class') FROM pg_class
        WHERE relnamespace = %(ns)s AND relkind = 'r' AND obj_description(oid, 'pg_class') IS NOT NULL""", namespace)

    statements: list[sql.Composable] = [sql.SQL("CREATE SCHEMA {}").format(dst)]
    statements += [
        sql.SQL("CREATE TABLE {}.{} (LIKE {}.{} " + LIKE_OPTIONS + ")").format(
            dst, sql.Identifier(name), src, sql.Identifier(name))
        for _, name in tables
    ]
    statements += [
        sql.SQL("COMMENT ON TABLE {}.{} IS {}").format(dst, sql.Identifier(name), sql.Literal(comment))
        for name, comment in table_comments
    ]
    # Rows first (the template's content types, permissions, groups and migration records), then the
    # constraints and indexes that check them: faster, and no foreign key ordering to get right.
    statements += [
        sql.SQL("INSERT INTO {}.{} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}.{}").format(
            dst, sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(", ").join(map(sql.Identifier, names)), src, sql.Identifier(name))
        for name, names in columns
    ]
    statements += [
        # By the owning column: a renamed table keeps its old sequence name in the source only.
        sql.SQL("SELECT setval(pg_get_serial_sequence({}, {}), last_value, is_called) FROM {}.{}").format(
            sql.Literal(f"{_quoted(cursor, target)}.{_quoted(cursor, table)}"), sql.Literal(column),
            src, sql.Identifier(sequence))
        for table, column, sequence in identity_sequences
    ]
    statements.append(sql.SQL("SELECT set_config('search_path', {}, true)").format(sql.Literal(_quoted(cursor, target))))
    statements += [
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(sql.Identifier(table), sql.Identifier(name), sql.SQL(definition))
        for table, name, definition, _ in constraints
    ]
    statements += [sql.SQL(definition) for (definition,) in indexes]
    # pg_get_functiondef() always names the function's schema; everything else printed unqualified.
    source_prefix = f"FUNCTION {_quoted(cursor, source)}."
    statements += [
        sql.SQL(definition.replace(source_prefix, f"FUNCTION {_quoted(cursor, target)}.", 1))
        for (definition,) in functions
    ]
    statements += [sql.SQL(definition) for (definition,) in triggers]
    return [statement.as_string(cursor.connection) for statement in statements]


def _namespace_oid(cursor, schema: str) -> int:
    cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])
    row = cursor.fetchone()
    if row is None:
        raise SchemaCloneUnsupported(f"schema {schema!r} does not exist")
    return row[0]


def _refuse_unsupported(cursor, namespace: int) -> None:
    found = {kind: [row[0] for row in _fetch(cursor, query, namespace)] for kind, query in UNSUPPORTED_CHECKS.items()}
    found = {kind: names for kind, names in found.items() if names}
    if found:
        listed = "; ".join(f"{kind}: {', '.join(sorted(names))}" for kind, names in found.items())
        raise SchemaCloneUnsupported(f"the template schema holds objects the clone does not copy ({listed})")


def _fetch(cursor, query: str, namespace: int) -> list[tuple]:
    cursor.execute(query, {"ns": namespace})
    return cursor.fetchall()


def _quoted(cursor, name: str) -> str:
    cursor.execute("SELECT quote_ident(%s)", [name])
    return cursor.fetchone()[0]
