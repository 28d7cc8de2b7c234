from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The tenant registry (public schema) and the project-wide glue."""

    name = "config"
    verbose_name = "Tenant registry"
    default_auto_field = "django.db.models.BigAutoField"
