"""The tenant registry: one row per customer organisation, in the public schema."""

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Tenant(TenantMixin):
    name = models.CharField(max_length=200)
    created_on = models.DateTimeField(auto_now_add=True)

    # Creating a tenant creates its schema and runs the tenant migrations in it.
    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"


class Domain(DomainMixin):
    """A host name routed to a tenant (`acme.localhost` → `acme`)."""

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
