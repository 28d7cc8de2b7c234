"""The "Persona approvers" group in every tenant schema: add a user to it to let them approve or
request changes on persona spec versions written by others (and see what they review)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Persona approvers"
GROUP_PERMISSIONS = [
    ("personas", "approve_personaspec"),
    ("personas", "view_personaspec"),
    ("personas", "view_auditevent"),
    ("twins", "view_twin"),
    ("governance", "view_approval"),
    ("governance", "view_publishpolicy"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; this migration needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    for app_label, codename in GROUP_PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0002_database_guards"),
        ("personas", "0006_audit_approval_actions"),
        ("twins", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
