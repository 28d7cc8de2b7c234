"""Storing one chat turn in a single SQL statement.

A turn writes up to four rows: the conversation (new, or its `updated` stamp), the prompt snapshot
(unless already stored), the user's message and the reply. As separate statements they need a
transaction (BEGIN, three or four statements, COMMIT); as one statement whose data-modifying WITH
clauses insert the conversation and the snapshot, they are atomic on their own (PostgreSQL checks the
messages' foreign key at the end of the statement, when the conversation exists). Every chat request
saves that many round trips.

Columns and values come from the models' own fields (`pre_save` fills `auto_now`, `get_db_prep_save`
adapts JSON and datetimes), exactly as the ORM's INSERT would.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

from chat.models import Conversation, Message, PromptSnapshot
from core.errors import NotFound


def store_turn(*, conversation: Conversation, is_new: bool, messages: Sequence[Message],
               snapshot: PromptSnapshot | None) -> None:
    """Insert `conversation` (or, not new, touch its `updated`), `snapshot` (ignored when already
    stored) and `messages`, in one statement; sets the messages' ids. NotFound when an existing
    conversation is gone (nothing is written then)."""
    quote = connection.ops.quote_name
    params: list = []
    if is_new:
        sql_conversation, conversation_params = _insert(conversation, returning="id")
    else:
        updated = Conversation._meta.get_field("updated")
        sql_conversation = (
            f"UPDATE {quote(Conversation._meta.db_table)} SET {quote(updated.column)} = %s "
            f"WHERE {quote(Conversation._meta.pk.column)} = %s RETURNING {quote(Conversation._meta.pk.column)}"
        )
        conversation_params = [updated.get_db_prep_save(updated.pre_save(conversation, False), connection),
                               Conversation._meta.pk.get_db_prep_save(conversation.pk, connection)]
    clauses = [f"conversation AS ({sql_conversation})"]
    params += conversation_params
    if snapshot is not None:
        sql_snapshot, snapshot_params = _insert(snapshot)
        clauses.append(f"snapshot AS ({sql_snapshot} ON CONFLICT DO NOTHING)")
        params += snapshot_params

    # The messages are selected FROM the conversation clause: none is written when it touched no row.
    fields = _inserted_fields(Message)
    rows, ordinal = [], 0
    for ordinal, message in enumerate(messages):
        message.conversation = conversation
        values = [_value(field, message) for field in fields]
        rows.append("(" + ", ".join(["%s"] * (len(values) + 1)) + ")")
        params += [ordinal, *values]
    columns = [quote(field.column) for field in fields]
    value_names = ["ordinal", *(f"v{index}" for index in range(len(fields)))]
    # The VALUES row types come from their parameters; each column is cast to its table column's type.
    casts = [f"v.v{index}::{field.db_type(connection)}" for index, field in enumerate(fields)]
    sql = (
        f"WITH {', '.join(clauses)} "
        f"INSERT INTO {quote(Message._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(casts)} FROM conversation, (VALUES {', '.join(rows)}) AS v({', '.join(value_names)}) "
        f"ORDER BY v.ordinal RETURNING {quote(Message._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) != len(messages):
        raise NotFound("Conversation not found.")
    for message, pk in zip(messages, ids):  # RETURNING follows the insertion order, which is ORDER BY's
        message.pk = pk
        message._state.adding = False
        message._state.db = connection.alias
    conversation._state.adding = False
    conversation._state.db = connection.alias


def _inserted_fields(model) -> list[models.Field]:
    # Not the auto-incremented id: the database assigns it (db_returning).
    return [field for field in model._meta.concrete_fields if not field.db_returning]


def _value(field: models.Field, obj: models.Model):
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


def _insert(obj: models.Model, returning: str | None = None) -> tuple[str, list]:
    quote = connection.ops.quote_name
    fields = _inserted_fields(type(obj))
    sql = (
        f"INSERT INTO {quote(obj._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if returning:
        sql += f" RETURNING {quote(returning)}"
    return sql, [_value(field, obj) for field in fields]
