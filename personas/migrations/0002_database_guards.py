"""Guards the database keeps even when application code is bypassed.

- A stored persona spec version never changes its content: only status and the publish stamps move
  (created_by may still become NULL when the user is deleted).
- Audit events are append-only: no UPDATE, no DELETE.
Both raise SQLSTATE 23001 (restrict_violation), which Django reports as an IntegrityError.
"""

from django.db import migrations

IMMUTABLE_CONTENT = """
CREATE OR REPLACE FUNCTION persona_spec_forbid_content_change() RETURNS trigger AS $$
BEGIN
    IF NEW.twin_id IS DISTINCT FROM OLD.twin_id
       OR NEW.version IS DISTINCT FROM OLD.version
       OR NEW.version_major IS DISTINCT FROM OLD.version_major
       OR NEW.version_minor IS DISTINCT FROM OLD.version_minor
       OR NEW.version_patch IS DISTINCT FROM OLD.version_patch
       OR NEW.spec IS DISTINCT FROM OLD.spec
       OR NEW.spec_hash IS DISTINCT FROM OLD.spec_hash
       OR NEW.source IS DISTINCT FROM OLD.source
       OR NEW.notes IS DISTINCT FROM OLD.notes
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'persona spec % is immutable: store a new version instead', OLD.version
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER persona_spec_content_immutable
    BEFORE UPDATE ON personas_personaspec
    FOR EACH ROW EXECUTE FUNCTION persona_spec_forbid_content_change();
"""

APPEND_ONLY_AUDIT = """
CREATE OR REPLACE FUNCTION audit_event_forbid_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON personas_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_forbid_change();
"""


class Migration(migrations.Migration):
    dependencies = [("personas", "0001_initial")]

    operations = [
        migrations.RunSQL(
            IMMUTABLE_CONTENT,
            reverse_sql="DROP TRIGGER persona_spec_content_immutable ON personas_personaspec; "
            "DROP FUNCTION persona_spec_forbid_content_change();",
        ),
        migrations.RunSQL(
            APPEND_ONLY_AUDIT,
            reverse_sql="DROP TRIGGER audit_event_append_only ON personas_auditevent; "
            "DROP FUNCTION audit_event_forbid_change();",
        ),
    ]
