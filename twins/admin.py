from django.contrib import admin

from twins.models import Memory, Twin


class MemoryInline(admin.TabularInline):
    model = Memory
    extra = 0
    fields = ["topic", "value", "stance", "intensity", "status"]


@admin.register(Twin)
class TwinAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "owner__username"]
    readonly_fields = ["id", "created_at", "updated_at"]
    inlines = [MemoryInline]


@admin.register(Memory)
class MemoryAdmin(admin.ModelAdmin):
    list_display = ["topic", "twin", "stance", "intensity", "status"]
    list_filter = ["status", "twin"]
    search_fields = ["topic", "value", "twin__name"]
