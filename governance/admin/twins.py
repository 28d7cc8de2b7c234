"""The twin's admin page, extended once more: the publish policy the twin follows, and its own policy
as an inline. The personas app's `TwinGovernanceAdmin` is subclassed and registered in its place, so
neither twins nor personas import this app.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from core.admin_scopes import TenantSchemaOnlyAdmin
from core.errors import Conflict, PermissionDenied, ValidationFailed
from governance.admin.policies import PolicyPermissions
from governance.models import POLICY_FIELDS, PublishPolicy
from governance.selectors import PolicySource, publish_policy_for
from governance.services import publish_policy_remove, publish_policy_update
from personas.admin.display import user_name
from personas.admin.twins import TwinGovernanceAdmin
from personas.models import AuditEvent
from twins.models import Twin

SOURCE_TEXT = dict(PolicySource.CHOICES)


class PublishPolicyForm(forms.ModelForm):
    def has_changed(self):
        # The inline starts empty: a form the user added is a policy they mean to create for the twin,
        # even with the values it inherited.
        return (self.is_bound and self.instance.pk is None) or super().has_changed()


class PublishPolicyInline(PolicyPermissions, TenantSchemaOnlyAdmin, admin.StackedInline):
    model = PublishPolicy
    form = PublishPolicyForm
    verbose_name = "publish policy of this twin"
    verbose_name_plural = "publish policy of this twin (replaces the tenant default for it)"
    # Who changed it reads as text: a read-only user field would link to the user admin, a 403 for most staff.
    fields = [*POLICY_FIELDS, "updated_at", "updated_by_name"]
    readonly_fields = ["updated_at", "updated_by_name"]
    extra = 0
    max_num = 1
    # "Delete" removes the twin's own policy (through the service): it follows the tenant default again.
    can_delete = True

    @admin.display(description="updated by")
    def updated_by_name(self, policy):
        return user_name(policy.updated_by)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


class TwinPublishPolicyAdmin(TwinGovernanceAdmin):
    # Not "publish_policy": that is the twin's reverse one-to-one, which the admin would read instead.
    readonly_fields = [*TwinGovernanceAdmin.readonly_fields, "policy_in_force"]
    fieldsets = [
        (name, {**options, "fields": [*options["fields"], "policy_in_force"]}) if name == "Persona governance"
        else (name, options)
        for name, options in TwinGovernanceAdmin.fieldsets
    ]
    inlines = [*TwinGovernanceAdmin.inlines, PublishPolicyInline]

    @admin.display(description="publish policy")
    def policy_in_force(self, twin):
        policy = publish_policy_for(twin)
        needs = (f"{policy.approvals_needed} approval{'s' if policy.approvals_needed != 1 else ''} of a version's "
                 f"exact content before publishing" if policy.approvals_needed else "no approval before publishing")
        text = f"Needs {needs} ({SOURCE_TEXT[policy.source]})."
        if policy.source == PolicySource.TENANT:
            url = reverse("admin:governance_publishpolicy_change", args=[policy.row.pk])
            return format_html('{} <a href="{}">Open the tenant default</a>', text, url)
        return text

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, PublishPolicyInline):
            policy = publish_policy_for(obj)
            if policy.source != PolicySource.TWIN:  # a policy added here starts from what the twin follows now
                kwargs["form_kwargs"] = {**kwargs.get("form_kwargs", {}), "initial": policy.values()}
        return kwargs

    def save_formset(self, request, form, formset, change):
        if formset.model is not PublishPolicy:
            return super().save_formset(request, form, formset, change)
        # Through the service, not formset.save(): the change is checked and recorded like any other.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for policy_form in formset.forms:
            if policy_form in formset.deleted_forms:
                if policy_form.instance.pk is not None:
                    self._remove_policy(request, form.instance, formset, policy_form.instance)
                continue
            if not policy_form.has_changed():
                continue
            try:
                saved = publish_policy_update(twin=form.instance, actor=request.user, channel=AuditEvent.Channel.ADMIN,
                                              **{key: policy_form.cleaned_data[key] for key in POLICY_FIELDS}).row
            except (ValidationFailed, PermissionDenied, Conflict) as refusal:
                self.message_user(request, f"The publish policy was not changed: {refusal.message}", messages.ERROR)
                continue
            if policy_form.instance.pk is None:
                formset.new_objects.append(saved)
            else:
                formset.changed_objects.append((saved, policy_form.changed_data))
        return None

    def _remove_policy(self, request, twin, formset, policy) -> None:
        try:
            publish_policy_remove(twin=twin, actor=request.user, channel=AuditEvent.Channel.ADMIN)
        except (PermissionDenied, Conflict) as refusal:
            self.message_user(request, f"The publish policy was not removed: {refusal.message}", messages.ERROR)
            return
        formset.deleted_objects.append(policy)


# Importing `personas.admin.twins` above registered TwinGovernanceAdmin, whatever the order apps load in.
admin.site.unregister(Twin)
admin.site.register(Twin, TwinPublishPolicyAdmin)
