from django.contrib import admin
from django_tenants.admin import TenantAdminMixin
from django_tenants.utils import get_public_schema_name

from config.models import Domain, Tenant


class PublicSchemaOnlyAdmin(admin.ModelAdmin):
    """The tenant registry is managed from the public host only, never from inside a tenant."""

    def has_module_permission(self, request):
        return _on_public_schema(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return _on_public_schema(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return _on_public_schema(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return _on_public_schema(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _on_public_schema(request) and super().has_delete_permission(request, obj)


def _on_public_schema(request) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name == get_public_schema_name()


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 1


@admin.register(Tenant)
class TenantAdmin(TenantAdminMixin, PublicSchemaOnlyAdmin):
    list_display = ["name", "schema_name", "created_on"]
    search_fields = ["name", "schema_name"]
    inlines = [DomainInline]


@admin.register(Domain)
class DomainAdmin(PublicSchemaOnlyAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__name"]
