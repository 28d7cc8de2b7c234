"""Deleting a user who acted no longer fails on the audit trail.

Audit events stay append-only, with the one UPDATE Django makes when a user is deleted: `actor_id`
becomes NULL, and the event still names them by `actor_username`. Until now the trigger refused that
too, so deleting any user who had ever created or published a version failed with an IntegrityError
(the same rule governance's approvals and policy changes already had).
"""

from django.db import migrations

APPEND_ONLY_BUT_ACTOR_DELETED = """
CREATE OR REPLACE FUNCTION audit_event_forbid_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id'
       AND NEW.actor_id IS NULL THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_event_forbid_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("personas", "0007_audit_gate_override")]

    operations = [migrations.RunSQL(APPEND_ONLY_BUT_ACTOR_DELETED, reverse_sql=APPEND_ONLY)]
