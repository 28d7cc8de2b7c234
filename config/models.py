"""The tenant registry: one row per customer organisation, in the public schema."""

from django.core.exceptions import ValidationError
from django.db import connection, models
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.postgresql_backend.base import _check_schema_name
from django_tenants.utils import schema_exists

from config.provisioning import template_schema_name, tenant_schema_create


class Tenant(TenantMixin):
    name = models.CharField(max_length=200)
    created_on = models.DateTimeField(auto_now_add=True)

    # Creating a tenant creates its schema: a copy of the migrated template schema (config.provisioning).
    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    def clean(self):
        super().clean()
        if self.schema_name == template_schema_name():  # the registry admin's form says so, not a 500
            raise ValidationError({"schema_name": "This is the tenant template's schema name; choose another."})

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """django-tenants' hook, called by save(), create_tenant and the registry admin alike: the
        schema is cloned from the template rather than migrated (config.provisioning says why)."""
        _check_schema_name(self.schema_name)
        if self.schema_name == template_schema_name():  # before the exists check: the template exists
            raise ValidationError(f"'{self.schema_name}' is the tenant template's schema name; choose another.")
        if check_if_exists and schema_exists(self.schema_name):
            return False
        if not sync_schema:
            return super().create_schema(check_if_exists=check_if_exists, sync_schema=False, verbosity=verbosity)
        tenant_schema_create(self.schema_name, verbosity=verbosity)
        connection.set_schema_to_public()
        return True


class Domain(DomainMixin):
    """A host name routed to a tenant (`acme.localhost` → `acme`)."""

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
