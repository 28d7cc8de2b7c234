"""Twins and their memories in the tenant admin.

Apps built on twins extend this admin (a subclass registered in place of `TwinAdmin`) rather than
this module importing them: twins knows nothing of the apps above it.
"""

from django.contrib import admin

from core.admin_scopes import TenantSchemaOnlyAdmin
from twins.models import Memory, Twin


class MemoryInline(TenantSchemaOnlyAdmin, admin.TabularInline):
    model = Memory
    extra = 0
    fields = ["topic", "value", "stance", "intensity", "status"]


@admin.register(Twin)
class TwinAdmin(TenantSchemaOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "owner", "status", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__username"]
    readonly_fields = ["id", "created_at", "updated_at", "owner_name"]
    fieldsets = [
        (None, {"fields": ["name", "owner", "status", "settings"]}),
        ("Record", {"fields": ["id", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    inlines = [MemoryInline]

    def get_fieldsets(self, request, obj=None):
        """A read-only owner renders as a link to the user admin: only for users who may open it.
        Everyone else reads the owner's name as plain text (the link would answer 403)."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj) or request.user.has_perm("auth.view_user"):
            return fieldsets
        return [(name, {**options, "fields": ["owner_name" if field == "owner" else field for field in options["fields"]]})
                for name, options in fieldsets]

    @admin.display(description="owner")
    def owner_name(self, twin):
        full_name = twin.owner.get_full_name()
        return f"{twin.owner.get_username()} ({full_name})" if full_name else twin.owner.get_username()


@admin.register(Memory)
class MemoryAdmin(TenantSchemaOnlyAdmin, admin.ModelAdmin):
    list_display = ["topic", "twin", "stance", "intensity", "status"]
    list_filter = ["status", "twin"]
    search_fields = ["topic", "value", "twin__name"]
