from django.apps import AppConfig


class ApiTokensConfig(AppConfig):
    """API tokens of a tenant's users: created (shown once), listed and revoked. The model is knox's."""

    name = "api_tokens"
    verbose_name = "API tokens"
    default_auto_field = "django.db.models.BigAutoField"
