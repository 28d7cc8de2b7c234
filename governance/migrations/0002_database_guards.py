"""Approvals and policy changes are append-only, even when application code is bypassed.

No DELETE, and no UPDATE except the one Django makes when a user is deleted: their foreign key
becomes NULL (the row keeps their username as text). Raises SQLSTATE 23001 (restrict_violation),
which Django reports as an IntegrityError.
"""

from django.db import migrations

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION governance_forbid_change() RETURNS trigger AS $$
DECLARE
    user_column text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'UPDATE'
       AND to_jsonb(NEW) - user_column = to_jsonb(OLD) - user_column
       AND to_jsonb(NEW) -> user_column = 'null'::jsonb THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER approval_append_only
    BEFORE UPDATE OR DELETE ON governance_approval
    FOR EACH ROW EXECUTE FUNCTION governance_forbid_change('reviewer_id');

CREATE TRIGGER policy_change_append_only
    BEFORE UPDATE OR DELETE ON governance_policychange
    FOR EACH ROW EXECUTE FUNCTION governance_forbid_change('actor_id');
"""

DROP = """
DROP TRIGGER policy_change_append_only ON governance_policychange;
DROP TRIGGER approval_append_only ON governance_approval;
DROP FUNCTION governance_forbid_change();
"""


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [migrations.RunSQL(APPEND_ONLY, reverse_sql=DROP)]
