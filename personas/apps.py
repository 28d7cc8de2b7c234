from django.apps import AppConfig


class PersonasConfig(AppConfig):
    name = "personas"
    verbose_name = "Persona governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from personas import checks  # noqa: F401  (registers the system checks)
