"""Drop DRF's `authtoken_token` table where an earlier version of the service left it.

Until API tokens moved to django-rest-knox, `rest_framework.authtoken` kept every token in plain text
in each tenant's schema. The app is gone, but a database migrated by that version still holds the
table and its keys, which no code reads and anyone with read access to the database could use against
an older deployment. A database created since never had it: `IF EXISTS` makes this a no-op there.
Reversing it does nothing: the tokens must not come back.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("knox", "0009_extend_authtoken_field")]

    operations = [migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop)]
