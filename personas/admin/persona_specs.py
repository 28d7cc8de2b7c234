"""Persona spec versions in the tenant admin: list, draft a new version, review it, publish it.

Stored versions are immutable, so there is no change form: opening a version shows its review page
(compiled prompt, diff against the active version). Every change goes through the services the API
uses, with `channel="admin"`:
- the add form calls `persona_spec_create` (in `save_model`);
- the actions call `persona_spec_publish` (publish, roll back) and `persona_spec_duplicate`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.admin_scopes import TenantSchemaOnlyAdmin
from core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from personas.admin.display import compact_time, new_draft_url, review_link, review_url, status_badge
from personas.admin.review import NO_INTENT, intent_from_param, persona_spec_review
from personas.diffing import canonical_pretty_json
from personas.forms import STARTER_SPEC, PersonaSpecAddForm, editor_text
from personas.models import AuditEvent, PersonaSpec
from personas.selectors import persona_spec_active
from personas.services import (
    ActiveVersionChanged,
    persona_spec_create,
    persona_spec_duplicate,
    persona_spec_publish,
)
from personas.spec import INTENT_LABELS, next_patch
from twins.models import Twin

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"
# The state the confirmation page described; the confirmed POST is refused if it has moved since.
STATE_FIELD = "confirmation_state"
START_FROM_ACTIVE = "active"
PUBLISH_PERMISSION = "personas.publish_personaspec"

# Refusals a service raises for a well-formed request: shown to the user, never a server error.
SERVICE_REFUSALS = (ValidationFailed, Conflict, PermissionDenied)


@dataclass(frozen=True)
class Transition:
    """Publish or roll back: make the selected version the twin's active one."""

    action: str
    verb: str  # "publish", "roll back"
    from_status: str
    title: str
    button: str


PUBLISH = Transition("publish_selected", "publish", PersonaSpec.Status.DRAFT, "Publish a persona spec version",
                     "Yes, publish it")
ROLLBACK = Transition("rollback_selected", "roll back to", PersonaSpec.Status.ARCHIVED,
                      "Roll back to an earlier persona spec version", "Yes, roll back")


@admin.register(PersonaSpec)
class PersonaSpecAdmin(TenantSchemaOnlyAdmin, admin.ModelAdmin):
    form = PersonaSpecAddForm
    list_display = ["twin", "version_link", "status_badge", "source", "created_by", "created", "published_by",
                    "published"]
    list_display_links = None
    list_filter = [("twin", admin.RelatedOnlyFieldListFilter), "status", "source"]
    list_select_related = ["twin", "created_by", "published_by"]
    search_fields = ["twin__name", "version"]
    search_help_text = "Search by twin name or version."
    # Semver by its integer parts: 1.0.10 is newer than 1.0.9, and timestamps can tie.
    ordering = ["twin__name", "twin_id", "-version_major", "-version_minor", "-version_patch"]
    actions = ["publish_selected", "rollback_selected", "duplicate_selected"]
    add_form_template = "admin/personas/personaspec/add_form.html"

    readonly_detail_fields = ["twin", "version", "status", "source", "notes", "created_by", "created_at",
                              "published_at", "published_by", "spec_hash", "spec_json"]

    # --- permissions: versions are added and change status; they are never edited or deleted ----

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_publish_permission(self, request, obj=None):
        return request.user.has_perm(PUBLISH_PERMISSION)

    # --- list ---------------------------------------------------------------------------------

    @admin.display(description="version")
    def version_link(self, persona_spec):
        return review_link(persona_spec.pk, persona_spec.version)

    @admin.display(description="status", ordering="status")
    def status_badge(self, persona_spec):
        return status_badge(persona_spec.status)

    @admin.display(description="created at", ordering="created_at")
    def created(self, persona_spec):
        return compact_time(persona_spec.created_at)

    @admin.display(description="published at", ordering="published_at")
    def published(self, persona_spec):
        return compact_time(persona_spec.published_at)

    @admin.display(description="spec")
    def spec_json(self, persona_spec):
        return format_html('<pre class="persona-json">{}</pre>', canonical_pretty_json(persona_spec.spec))

    # --- URLs: the review page ----------------------------------------------------------------

    def get_urls(self):
        review = path(
            "<path:object_id>/review/", self.admin_site.admin_view(self.review_view),
            name="personas_personaspec_review",
        )
        return [review, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A stored version has nothing to change: its page is the review page. POST stays refused
        (no change permission), so nothing can be saved through this view."""
        if request.method == "GET" and IS_POPUP_VAR not in request.GET:
            persona_spec = self.get_object(request, unquote(object_id))
            if persona_spec is not None and self.has_view_permission(request, persona_spec):
                return HttpResponseRedirect(review_url(persona_spec.pk))
        return super().change_view(request, object_id, form_url, extra_context)

    def review_view(self, request, object_id):
        persona_spec = self.get_object(request, unquote(object_id))
        if persona_spec is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, persona_spec):
            raise HttpPermissionDenied
        try:
            active = persona_spec_active(twin=persona_spec.twin, user=request.user)
        except PermissionDenied:
            raise HttpPermissionDenied from None
        intent_label = intent_from_param(request.GET.get("intent"))
        review = persona_spec_review(persona_spec, active, intent_label=intent_label,
                                     user_query=request.GET.get("q", "").strip())
        can_publish = self.has_publish_permission(request)
        can_add = self.has_add_permission(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review {persona_spec.twin} version {persona_spec.version}",
            "subtitle": None,
            "persona_spec": persona_spec,
            "review": review,
            "status_badge": status_badge(persona_spec.status),
            "intent_choices": [(NO_INTENT, "none (no intent: no procedural modules)"),
                               *((label, label) for label in INTENT_LABELS)],
            "selected_intent": intent_label or NO_INTENT,
            "changelist_url": reverse("admin:personas_personaspec_changelist"),
            "history_url": reverse("admin:personas_personaspec_history", args=[persona_spec.pk]),
            "twin_url": _admin_url_if_allowed(request, persona_spec.twin, "twins", "twin"),
            "audit_url": _audit_changelist_url(request, persona_spec.twin),
            "active_review_url": review_url(review.active.pk) if review.active else None,
            "publish_action": (
                PUBLISH.action if can_publish and persona_spec.status == PUBLISH.from_status
                else ROLLBACK.action if can_publish and persona_spec.status == ROLLBACK.from_status
                else None
            ),
            "can_duplicate": can_add,
            "new_draft_url": new_draft_url(persona_spec.twin_id, persona_spec.version) if can_add else None,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/personas/personaspec/review.html", context)

    # --- adding a version ---------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:  # the read-only detail (popups): a plain form, nothing to fill in
            kwargs["form"] = django_forms.ModelForm
            return super().get_form(request, obj, change, **kwargs)
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_persona_spec_refusal", None)
        if refusal is not None:
            form = type(form.__name__, (form,), {"refusal": refusal})
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return [(None, {"fields": self.readonly_detail_fields})]
        return [(None, {"fields": ["twin", "requested_version", "spec_text", "notes"]})]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_detail_fields if obj is not None else []

    def get_changeform_initial_data(self, request):
        initial = {
            key: value for key, value in super().get_changeform_initial_data(request).items()
            if key in ("twin", "notes")
        }
        source = self._start_from(request)
        initial["spec_text"] = editor_text(source.spec if source else STARTER_SPEC)
        return initial

    def add_view(self, request, form_url="", extra_context=None):
        source = self._start_from(request, report=request.method == "GET")
        extra_context = {
            **(extra_context or {}),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
            "start_from": source,
            "start_from_twins": Twin.objects.filter(persona_specs__status=PersonaSpec.Status.ACTIVE).order_by("name"),
        }
        try:
            return super().add_view(request, form_url, extra_context)
        except SERVICE_REFUSALS as refusal:
            # save_model's service call refused the submission and the admin's transaction rolled
            # back. Show the same form again, the refusal's errors attached to their fields.
            request._persona_spec_refusal = refusal
            return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:  # unreachable: no change permission; kept so a future change cannot bypass the service
            raise HttpPermissionDenied
        created = persona_spec_create(
            twin=form.cleaned_data["twin"], actor=request.user, spec=form.spec, version=form.version,
            notes=form.cleaned_data.get("notes") or "", source=PersonaSpec.Source.MANUAL,
            channel=AuditEvent.Channel.ADMIN,
        )
        # The admin logs and redirects with `obj`: make it the stored row.
        for model_field in PersonaSpec._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(created, model_field.attname))
        obj._state.adding, obj._state.db = False, created._state.db

    def response_add(self, request, obj, post_url_continue=None):
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, format_html(
            "Draft version {} of {} was created. Review it against the active version below, then publish it.",
            obj.version, obj.twin,
        ), messages.SUCCESS)
        return HttpResponseRedirect(review_url(obj.pk))

    def _start_from(self, request, report: bool = False) -> PersonaSpec | None:
        """The version whose content pre-fills the editor: `?twin=<id>&from=active|<version>`."""
        twin_id, start_from = request.GET.get("twin"), request.GET.get("from")
        if not twin_id or not start_from or not self.has_view_permission(request):
            return None
        try:
            versions = PersonaSpec.objects.select_related("twin").filter(twin_id=twin_id)
            if start_from == START_FROM_ACTIVE:
                source = versions.filter(status=PersonaSpec.Status.ACTIVE).first()
            else:
                source = versions.filter(version=start_from).first()
        except ValidationError:  # not a UUID
            source = None
        if source is None and report:
            what = "active version" if start_from == START_FROM_ACTIVE else f"version {start_from}"
            self.message_user(request, f"That twin has no {what}: the editor starts from an empty spec.",
                              messages.WARNING)
        return source

    # --- actions: publish, roll back, duplicate -----------------------------------------------

    @admin.action(permissions=["publish"], description="Publish selected version")
    def publish_selected(self, request, queryset):
        return self._transition(request, queryset, PUBLISH)

    @admin.action(permissions=["publish"], description="Roll back to selected version")
    def rollback_selected(self, request, queryset):
        return self._transition(request, queryset, ROLLBACK)

    @admin.action(permissions=["add"], description="Duplicate as new draft")
    def duplicate_selected(self, request, queryset):
        source = self._exactly_one(request, queryset, "duplicate")
        if source is None:
            return None
        if request.POST.get(CONFIRM_FIELD) != CONFIRM_VALUE:
            latest = (
                PersonaSpec.objects.filter(twin_id=source.twin_id)
                .order_by("-version_major", "-version_minor", "-version_patch").first()
            )
            return self._confirmation_page(request, "duplicate_selected", source, context={
                "title": "Duplicate a persona spec version as a new draft",
                "button": "Yes, create the draft",
                "duplicate": True,
                "next_version": next_patch(latest.semver),
                "active": self._active(source.twin),
            })
        try:
            created = persona_spec_duplicate(persona_spec=source, actor=request.user, channel=AuditEvent.Channel.ADMIN)
        except SERVICE_REFUSALS as refusal:
            self.message_user(request, _refusal_text(f"Could not duplicate version {source.version}", refusal),
                              messages.ERROR)
            return None
        self.log_addition(request, created, f"Added as a duplicate of version {source.version}.")
        self.message_user(request, format_html(
            "Version {} of {} was duplicated as the new draft {}. Nothing was published.",
            source.version, source.twin, review_link(created.pk, created.version),
        ), messages.SUCCESS)
        return None

    def _transition(self, request, queryset, transition: Transition):
        target = self._exactly_one(request, queryset, transition.verb)
        if target is None:
            return None
        if not self._has_status(request, target, transition):
            return None
        active = self._active(target.twin)
        if request.POST.get(CONFIRM_FIELD) != CONFIRM_VALUE:
            return self._transition_confirmation(request, transition, target, active)
        try:
            # The service checks, under the twin's row lock, that the version the user saw as
            # active (and confirmed archiving) still is: otherwise nothing changes.
            result = persona_spec_publish(persona_spec=target, actor=request.user, channel=AuditEvent.Channel.ADMIN,
                                          expected_active_version=_confirmed_active_version(request))
        except ActiveVersionChanged:
            target = PersonaSpec.objects.select_related("twin").get(pk=target.pk)
            active = self._active(target.twin)
            self.message_user(request, (
                f"The versions of {target.twin} changed since the confirmation page was shown. Nothing was "
                f"changed: check the page below and confirm again."
            ), messages.WARNING)
            if not self._has_status(request, target, transition):
                return None
            return self._transition_confirmation(request, transition, target, active)
        except SERVICE_REFUSALS as refusal:
            self.message_user(request, _refusal_text(
                f"Could not {transition.verb} version {target.version} of {target.twin}", refusal,
            ), messages.ERROR)
            return None
        if not result.changed:
            self.message_user(request, f"Version {target.version} of {target.twin} is already active. Nothing was changed.",
                              messages.WARNING)
            return None
        archived = f" Version {result.previous_active_version} was archived." if result.previous_active_version else ""
        done = "Published" if transition is PUBLISH else "Rolled back to"
        # Django's own object history too, beside the audit trail (which stays the record of truth).
        self.log_change(request, result.persona_spec, f"{done} version {target.version}.{archived}")
        self.message_user(request, format_html(
            "{} version {} of {}: it is now the active version.{}",
            done, review_link(target.pk, target.version), target.twin, archived,
        ), messages.SUCCESS)
        return None

    def _has_status(self, request, target: PersonaSpec, transition: Transition) -> bool:
        if target.status == transition.from_status:
            return True
        if target.status == PersonaSpec.Status.ACTIVE:
            self.message_user(request, f"Version {target.version} of {target.twin} is already active. "
                                       f"Nothing was changed.", messages.WARNING)
        elif transition is PUBLISH:
            self.message_user(request, f"Version {target.version} of {target.twin} is archived: use “Roll back to "
                                       f"selected version” to make it active again. Nothing was changed.", messages.ERROR)
        else:
            self.message_user(request, f"Version {target.version} of {target.twin} is a draft, not an earlier "
                                       f"version: use “Publish selected version”. Nothing was changed.", messages.ERROR)
        return False

    def _transition_confirmation(self, request, transition: Transition, target: PersonaSpec,
                                 active: PersonaSpec | None):
        return self._confirmation_page(request, transition.action, target, context={
            "title": transition.title,
            "button": transition.button,
            "verb": transition.verb,
            "active": active,
            "state": _state(target, active),
        })

    def _confirmation_page(self, request, action: str, target: PersonaSpec, context: dict):
        return TemplateResponse(request, "admin/personas/personaspec/confirm_action.html", {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "subtitle": None,
            "action": action,
            "target": target,
            "target_badge": status_badge(target.status),
            "target_review_url": review_url(target.pk),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "confirm_field": CONFIRM_FIELD,
            "confirm_value": CONFIRM_VALUE,
            "state_field": STATE_FIELD,
            "twin_url": _admin_url_if_allowed(request, target.twin, "twins", "twin"),
            **context,
        })

    def _exactly_one(self, request, queryset, verb: str) -> PersonaSpec | None:
        selected = list(queryset.select_related("twin")[:2])
        if len(selected) == 1:
            return selected[0]
        count = queryset.count()
        self.message_user(request, f"Select exactly one version to {verb} ({count} were selected). "
                                   f"Nothing was changed.", messages.ERROR)
        return None

    def _active(self, twin) -> PersonaSpec | None:
        return PersonaSpec.objects.filter(twin=twin, status=PersonaSpec.Status.ACTIVE).first()

    def response_action(self, request, queryset):
        # A forged or stale selection that is not a version id would otherwise fail deep in the ORM.
        try:
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                uuid.UUID(value)
        except ValueError:
            self.message_user(request, "The selection is not valid. Nothing was changed.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


NO_ACTIVE_VERSION = "none"


def _state(target: PersonaSpec, active: PersonaSpec | None) -> str:
    """What the confirmation page showed as active; the service publishes only if it still is."""
    return active.version if active else NO_ACTIVE_VERSION


def _confirmed_active_version(request) -> str | None:
    confirmed = request.POST.get(STATE_FIELD, NO_ACTIVE_VERSION)
    return None if confirmed == NO_ACTIVE_VERSION else confirmed


def _refusal_text(prefix: str, refusal: DomainError):
    if not refusal.errors:
        return f"{prefix}: {refusal.message}"
    problems = format_html_join("", "<li><code>{}</code>: {}</li>",
                                ((error.get("path") or "/", error.get("message", "")) for error in refusal.errors))
    return format_html("{}: {}<ul>{}</ul>", prefix, refusal.message, problems)


def _admin_url_if_allowed(request, obj, app_label: str, model_name: str) -> str | None:
    if not request.user.has_perm(f"{app_label}.view_{model_name}") and not request.user.has_perm(
        f"{app_label}.change_{model_name}"
    ):
        return None
    return reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk])


def _audit_changelist_url(request, twin) -> str | None:
    if not request.user.has_perm("personas.view_auditevent"):
        return None
    return f"{reverse('admin:personas_auditevent_changelist')}?twin__id__exact={twin.pk}"
