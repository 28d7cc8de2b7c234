"""Read-only inlines for the twin's admin page: its version history and its recent audit events."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from core.admin_scopes import ReadOnlyAdminMixin, TenantSchemaOnlyAdmin
from personas.admin.display import compact_time, review_link, status_badge
from personas.models import AuditEvent, PersonaSpec

# An inline shows every row it is given; these keep a twin's page quick however long its history.
HISTORY_INLINE_LIMIT = 50
AUDIT_INLINE_LIMIT = 20


def _latest_per_twin(queryset, order_by, limit: int):
    """The first `limit` rows of each twin by `order_by`. (The inline filters by twin afterwards, and a
    sliced queryset cannot be filtered; a window function can.)"""
    rank = Window(RowNumber(), partition_by=[F("twin_id")], order_by=order_by)
    return queryset.annotate(rank_in_twin=rank).filter(rank_in_twin__lte=limit)


class PersonaSpecHistoryInline(ReadOnlyAdminMixin, TenantSchemaOnlyAdmin, admin.TabularInline):
    model = PersonaSpec
    verbose_name = "persona spec version"
    verbose_name_plural = f"persona spec versions (newest {HISTORY_INLINE_LIMIT}, by version)"
    extra = 0
    can_delete = False
    show_change_link = False
    template = "admin/personas/personaspec_history_inline.html"  # says what to do when there is no version
    # Users as plain names: a read-only foreign key would link to the user admin, a 403 for most staff.
    fields = ["version_link", "status_badge", "source", "notes", "created_by_name", "created", "published",
              "published_by_name"]
    readonly_fields = fields

    def get_queryset(self, request):
        semver_newest_first = [F("version_major").desc(), F("version_minor").desc(), F("version_patch").desc()]
        queryset = super().get_queryset(request).select_related("created_by", "published_by")
        return _latest_per_twin(queryset, semver_newest_first, HISTORY_INLINE_LIMIT).order_by(*semver_newest_first)

    @admin.display(description="version")
    def version_link(self, persona_spec):
        return review_link(persona_spec.pk, persona_spec.version)

    @admin.display(description="status")
    def status_badge(self, persona_spec):
        return status_badge(persona_spec.status)

    @admin.display(description="created by")
    def created_by_name(self, persona_spec):
        return persona_spec.created_by.get_username() if persona_spec.created_by else "system"

    @admin.display(description="published by")
    def published_by_name(self, persona_spec):
        return persona_spec.published_by.get_username() if persona_spec.published_by else "—"

    @admin.display(description="created at")
    def created(self, persona_spec):
        return compact_time(persona_spec.created_at)

    @admin.display(description="published at")
    def published(self, persona_spec):
        return compact_time(persona_spec.published_at)


class RecentAuditEventInline(ReadOnlyAdminMixin, TenantSchemaOnlyAdmin, admin.TabularInline):
    model = AuditEvent
    verbose_name = "audit event"
    verbose_name_plural = f"recent audit events (newest {AUDIT_INLINE_LIMIT})"
    extra = 0
    can_delete = False
    fields = ["time", "actor_username", "action", "version_link", "previous_version", "channel", "reason"]
    readonly_fields = fields

    def get_queryset(self, request):
        newest_first = [F("created_at").desc(), F("id").desc()]
        queryset = super().get_queryset(request).select_related("persona_spec")
        return _latest_per_twin(queryset, newest_first, AUDIT_INLINE_LIMIT).order_by(*newest_first)

    @admin.display(description="time")
    def time(self, event):
        return compact_time(event.created_at)

    @admin.display(description="version")
    def version_link(self, event):
        if event.persona_spec_id and event.version:
            return review_link(event.persona_spec_id, event.version)
        return event.version or "—"
