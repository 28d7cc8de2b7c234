"""Which host an admin class belongs to, and which admin classes only show.

One admin site serves the public host (the tenant registry) and every tenant host. Models of the
public schema are managed only from the public host; models of tenant schemas only from tenant
hosts, since their tables do not exist in the public schema. Mix one of these in before
`admin.ModelAdmin` (or an inline class): elsewhere the model is hidden and every view refused.

`ReadOnlyAdminMixin` goes first, before the scope: records (trails, histories) are shown,
never added or changed through the admin, superusers included.
"""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name


def on_public_schema(request) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name == get_public_schema_name()


def on_tenant_schema(request) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name != get_public_schema_name()


class _ScopedAdmin:
    @staticmethod
    def in_scope(request) -> bool:
        raise NotImplementedError

    def has_module_permission(self, request):
        return self.in_scope(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.in_scope(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self.in_scope(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self.in_scope(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.in_scope(request) and super().has_delete_permission(request, obj)


class PublicSchemaOnlyAdmin(_ScopedAdmin):
    in_scope = staticmethod(on_public_schema)


class TenantSchemaOnlyAdmin(_ScopedAdmin):
    in_scope = staticmethod(on_tenant_schema)


class ReadOnlyAdminMixin:
    """Nothing is added or changed through this admin class (or inline), by anyone, superusers too.

    Nor deleted, unless the class sets `read_only_allows_delete = True`; then deleting is governed by
    the usual permissions (and the scope mixed in after this one).
    """

    read_only_allows_delete = False

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.read_only_allows_delete and super().has_delete_permission(request, obj)
