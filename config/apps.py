from django.apps import AppConfig
from django.core import checks


class ConfigConfig(AppConfig):
    """The tenant registry (public schema) and the project-wide glue."""

    name = "config"
    verbose_name = "Tenant registry"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core.staticfiles import check_collected_static_files
        from core.tenant_routes import forget_routes_on_change

        from .models import Domain, Tenant

        forget_routes_on_change(tenant_model=Tenant, domain_model=Domain)
        checks.register(check_collected_static_files, checks.Tags.staticfiles, deploy=True)
