from django.contrib import admin
from django_tenants.admin import TenantAdminMixin
from procrastinate.contrib.django.admin import ProcrastinateJobAdmin
from procrastinate.contrib.django.models import ProcrastinateJob

from config.models import Domain, Tenant
from core.admin_scopes import PublicSchemaOnlyAdmin


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 1


@admin.register(Tenant)
class TenantAdmin(PublicSchemaOnlyAdmin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "schema_name", "created_on"]
    search_fields = ["name", "schema_name"]
    inlines = [DomainInline]


@admin.register(Domain)
class DomainAdmin(PublicSchemaOnlyAdmin, admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__name"]


# The task queue is one for all tenants (public schema) and its jobs carry tenant schemas and ids:
# only the registry's operators on the public host see it, never a tenant's staff.
admin.site.unregister(ProcrastinateJob)


@admin.register(ProcrastinateJob)
class PublicProcrastinateJobAdmin(PublicSchemaOnlyAdmin, ProcrastinateJobAdmin):
    pass
