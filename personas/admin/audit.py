"""The audit trail in the tenant admin: readable and filterable, never added, changed or deleted.

The database refuses UPDATE and DELETE of audit events whatever the caller (a trigger); the admin
does not offer them in the first place, superusers included.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from core.admin_scopes import ReadOnlyAdminMixin, TenantSchemaOnlyAdmin
from personas.admin.display import compact_time, review_link
from personas.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, TenantSchemaOnlyAdmin, admin.ModelAdmin):
    list_display = ["time", "actor_display", "action", "twin", "version_link", "previous_version_display",
                    "channel", "reason_display"]
    list_display_links = ["time"]
    list_filter = [("twin", admin.RelatedOnlyFieldListFilter), "action", ("actor", admin.RelatedOnlyFieldListFilter),
                   "channel"]
    list_select_related = ["twin", "actor"]
    search_fields = ["twin__name", "version", "previous_version", "actor_username", "reason"]
    search_help_text = "Search by twin name, version, actor username or reason."
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    fields = ["time", "actor_display", "action", "channel", "twin", "version_link", "previous_version_display",
              "reason", "details_json"]

    @admin.display(description="time", ordering="created_at")
    def time(self, event):
        return compact_time(event.created_at)

    @admin.display(description="actor", ordering="actor_username")
    def actor_display(self, event):
        return event.actor_username or (str(event.actor) if event.actor_id else "system")

    @admin.display(description="version", ordering="version")
    def version_link(self, event):
        if event.persona_spec_id and event.version:
            return review_link(event.persona_spec_id, event.version)
        return event.version or "—"

    @admin.display(description="previous version", ordering="previous_version")
    def previous_version_display(self, event):
        return event.previous_version or "—"

    @admin.display(description="reason")
    def reason_display(self, event):
        return event.reason or "—"

    @admin.display(description="details")
    def details_json(self, event):
        return format_html('<pre class="persona-json">{}</pre>',
                           json.dumps(event.details, indent=2, sort_keys=True, ensure_ascii=False))
