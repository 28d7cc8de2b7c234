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
    readonly_fields = ["id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "owner", "status", "settings"]}),
        ("Record", {"fields": ["id", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    inlines = [MemoryInline]


@admin.register(Memory)
class MemoryAdmin(TenantSchemaOnlyAdmin, admin.ModelAdmin):
    list_display = ["topic", "twin", "stance", "intensity", "status"]
    list_filter = ["status", "twin"]
    search_fields = ["topic", "value", "twin__name"]
