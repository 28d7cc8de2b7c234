"""Publish policies in the tenant admin: the tenant's default and every twin's own, and their log.

Saving goes through `publish_policy_update` (channel "admin"), so an admin change is checked and
recorded like an API change. Changing a policy is a role of its own (`governance.change_publishpolicy`),
also for creating one; policies are not deleted here.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import F
from django.utils.html import format_html

from core.admin_scopes import ReadOnlyAdminMixin, TenantSchemaOnlyAdmin
from governance.models import POLICY_FIELDS, PolicyChange, PublishPolicy
from governance.services import may_change_publish_policies, publish_policy_update
from personas.admin.display import compact_time, user_name
from personas.models import AuditEvent

VIEW_POLICY_PERMISSIONS = ("governance.view_publishpolicy", "governance.change_publishpolicy")


def may_view_publish_policies(user) -> bool:
    return any(user.has_perm(permission) for permission in VIEW_POLICY_PERMISSIONS)


def policy_scope(twin) -> str:
    return str(twin) if twin is not None else "Tenant default (every twin without its own policy)"


class PolicyPermissions:
    """Viewing needs the view or change permission; adding and changing need the change permission
    (the service's rule); nobody deletes a policy here."""

    def has_module_permission(self, request):
        return self.in_scope(request) and may_view_publish_policies(request.user)

    def has_view_permission(self, request, obj=None):
        return self.in_scope(request) and may_view_publish_policies(request.user)

    def has_add_permission(self, request, *args):
        return self.in_scope(request) and may_change_publish_policies(request.user)

    def has_change_permission(self, request, obj=None):
        return self.in_scope(request) and may_change_publish_policies(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PublishPolicy)
class PublishPolicyAdmin(PolicyPermissions, TenantSchemaOnlyAdmin, admin.ModelAdmin):
    list_display = ["scope", *POLICY_FIELDS, "updated", "updated_by"]
    list_display_links = ["scope"]
    list_select_related = ["twin", "updated_by"]
    search_fields = ["twin__name"]
    ordering = [F("twin__name").asc(nulls_first=True), "id"]  # the tenant default first

    def get_fields(self, request, obj=None):
        return ["twin", *POLICY_FIELDS, "updated_at", "updated_by_name"]

    def get_readonly_fields(self, request, obj=None):
        # A policy stays with its twin (or stays the default): another scope is another policy.
        return ["updated_at", "updated_by_name", *(["twin"] if obj is not None else [])]

    @admin.display(description="updated by")
    def updated_by_name(self, policy):
        # Text, not the read-only field's link to the user admin (a 403 for most staff).
        return user_name(policy.updated_by)

    @admin.display(description="applies to", ordering="twin__name")
    def scope(self, policy):
        return policy_scope(policy.twin)

    @admin.display(description="updated at", ordering="updated_at")
    def updated(self, policy):
        return compact_time(policy.updated_at)

    def save_model(self, request, obj, form, change):
        saved = publish_policy_update(twin=obj.twin, actor=request.user, channel=AuditEvent.Channel.ADMIN,
                                      **{key: form.cleaned_data[key] for key in POLICY_FIELDS}).row
        obj.pk, obj.updated_at, obj.updated_by = saved.pk, saved.updated_at, saved.updated_by


@admin.register(PolicyChange)
class PolicyChangeAdmin(ReadOnlyAdminMixin, TenantSchemaOnlyAdmin, admin.ModelAdmin):
    list_display = ["time", "scope", "actor_username", "channel", "change"]
    list_display_links = ["time"]
    list_filter = ["channel", ("twin", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["twin"]
    ordering = ["-created_at", "-id"]
    fields = ["created_at", "scope", "actor_username", "channel", "before_json", "after_json"]
    readonly_fields = fields

    @admin.display(description="time", ordering="created_at")
    def time(self, change):
        return compact_time(change.created_at)

    @admin.display(description="policy of")
    def scope(self, change):
        return policy_scope(change.twin)

    @admin.display(description="change")
    def change(self, change):
        return ", ".join(f"{key}: {change.before.get(key)} → {change.after.get(key)}"
                         for key in (*POLICY_FIELDS, "source") if change.before.get(key) != change.after.get(key))

    @admin.display(description="before")
    def before_json(self, change):
        return format_html('<pre class="persona-json">{}</pre>', json.dumps(change.before, indent=2, sort_keys=True))

    @admin.display(description="after")
    def after_json(self, change):
        return format_html('<pre class="persona-json">{}</pre>', json.dumps(change.after, indent=2, sort_keys=True))
