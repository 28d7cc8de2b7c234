"""Persona spec versions in the tenant admin: list, draft a new version, review it, publish it.

Stored versions are immutable, so there is no change form: opening a version shows its review page
(compiled prompt, diff against the active version). Every change goes through the services and
lifecycle transitions the API uses, with `channel="admin"`:
- the add page (a plain view: form → `persona_spec_create` → review page, or the form again with
  the service's refusal) drafts a version;
- the actions run the transitions PUBLISH, ROLLBACK and DUPLICATE: `check()` decides what the page
  offers and why not, `execute()` does it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin import helpers
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
from personas.admin.display import moment_by, new_draft_url, review_link, review_url, status_badge
from personas.admin.review import (
    AUTO_INTENT,
    NO_INTENT,
    context_from_param,
    intent_choice_from_param,
    persona_spec_review,
)
from personas.comparison import suggested_version
from personas.diffing import pretty_spec_json
from personas.forms import STARTER_SPEC, PersonaSpecAddForm, attach_refusal, editor_text
from personas.models import AuditEvent, PersonaSpec
from personas.permissions import SpecAction, may, may_on_some_twin, users_who_may
from personas.prompting import INTERACTION_CONTEXTS
from personas.publish_checks import registered_publish_checks
from personas.review_panels import review_panels_for
from personas.selectors import persona_spec_active, persona_spec_next_version
from personas.services import persona_spec_create
from personas.spec import INTENT_LABELS, validate_spec
from personas.transitions import (
    DUPLICATE,
    OVERRIDE_OPTION,
    PUBLISH,
    ROLLBACK,
    ActiveVersionChanged,
    Verdict,
    publish_transition_for,
)
from twins.models import Twin

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"
# The state the confirmation page described; the confirmed POST is refused if it has moved since.
STATE_FIELD = "confirmation_state"
REASON_FIELD = "reason"
SUGGEST_FIELD = "_suggest_version"
OVERRIDE_FIELD = "override_gate"
# The review page's action forms post `next=review`: a successful action then lands on a review page
# (the version's own, or the new draft's), not on the list; actions started from the list stay there.
NEXT_FIELD = "next"
NEXT_REVIEW = "review"
START_FROM_ACTIVE = "active"
COMPARE_CHOICES_LIMIT = 200  # versions offered in the review page's "compare with" picker

# Refusals a service raises for a well-formed request: shown to the user, never a server error.
SERVICE_REFUSALS = (ValidationFailed, Conflict, PermissionDenied)


@dataclass(frozen=True)
class ActionPage:
    """How the admin presents a transition: its action, its confirmation page, its result."""

    action: str
    title: str
    button: str
    done: str  # "Published", "Rolled back to"


ACTION_PAGES = {
    PUBLISH.name: ActionPage("publish_selected", "Publish a persona spec version", "Yes, publish it", "Published"),
    ROLLBACK.name: ActionPage("rollback_selected", "Roll back to an earlier persona spec version", "Yes, roll back",
                              "Rolled back to"),
    DUPLICATE.name: ActionPage("duplicate_selected", "Duplicate a persona spec version as a new draft",
                               "Yes, create the draft", "Duplicated"),
}
# A refused publish or rollback of a non-active version points to the action that applies instead.
OTHER_ACTION_HINT = {
    PUBLISH.name: "use “Roll back to selected version”",
    ROLLBACK.name: "use “Publish selected version”",
}


@admin.register(PersonaSpec)
class PersonaSpecAdmin(TenantSchemaOnlyAdmin, admin.ModelAdmin):
    # Who and when share a column, so the list fits 1280 px beside the navigation and the filters.
    list_display = ["twin", "version_link", "status_badge", "source", "created", "published"]
    list_display_links = None
    list_filter = [("twin", admin.RelatedOnlyFieldListFilter), "status", "source"]
    list_select_related = ["twin", "created_by", "published_by"]
    search_fields = ["twin__name", "version"]
    search_help_text = "Search by twin name or version."
    ordering = ["twin__name", "twin_id", "-version_major", "-version_minor", "-version_patch"]
    actions = ["publish_selected", "rollback_selected", "duplicate_selected", "compare_selected"]
    add_form_template = "admin/personas/personaspec/add_form.html"

    readonly_detail_fields = ["twin", "version", "status", "source", "notes", "created_by", "created_at",
                              "published_at", "published_by", "spec_hash", "spec_json"]

    # --- permissions: versions are added and change status; they are never edited or deleted ----
    # Whether a user may act on one twin is `personas.permissions.may`, the rule of every channel;
    # these only decide whether the admin offers an action at all.

    def has_add_permission(self, request):
        return self.in_scope(request) and may_on_some_twin(request.user, SpecAction.ADD)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_publish_permission(self, request, obj=None):
        if obj is not None:
            return may(request.user, SpecAction.PUBLISH, obj.twin)
        return may_on_some_twin(request.user, SpecAction.PUBLISH)

    def has_duplicate_permission(self, request, obj=None):
        return self.has_add_permission(request)

    # --- list ---------------------------------------------------------------------------------

    @admin.display(description="version")
    def version_link(self, persona_spec):
        return review_link(persona_spec.pk, persona_spec.version)

    @admin.display(description="status", ordering="status")
    def status_badge(self, persona_spec):
        return status_badge(persona_spec.status)

    @admin.display(description="created", ordering="created_at")
    def created(self, persona_spec):
        return moment_by(persona_spec.created_at, persona_spec.created_by)

    @admin.display(description="published", ordering="published_at")
    def published(self, persona_spec):
        return moment_by(persona_spec.published_at, persona_spec.published_by)

    @admin.display(description="spec")
    def spec_json(self, persona_spec):
        return format_html('<pre class="persona-json">{}</pre>', pretty_spec_json(persona_spec.spec))

    # --- URLs: the review page ----------------------------------------------------------------

    def get_urls(self):
        review = path(
            "<path:object_id>/review/", self.admin_site.admin_view(self.review_view),
            name="personas_personaspec_review",
        )
        by_version = path(
            "twin/<uuid:twin_id>/version/<str:version>/", self.admin_site.admin_view(self.by_version_view),
            name="personas_personaspec_by_version",
        )
        return [review, by_version, *super().get_urls()]

    def by_version_view(self, request, twin_id, version):
        """A twin's version by its number (a chat trace names versions, not ids): its review page."""
        persona_spec = PersonaSpec.objects.of_twin(twin_id).filter(version=version).first()
        if persona_spec is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, f"{twin_id} {version}")
        return HttpResponseRedirect(review_url(persona_spec.pk))

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
        versions = list(PersonaSpec.objects.of_twin(persona_spec.twin_id).newest_first()
                        .exclude(pk=persona_spec.pk)[:COMPARE_CHOICES_LIMIT])
        baseline = next((v for v in versions if v.version == request.GET.get("compare")), None)
        review = persona_spec_review(
            persona_spec, active, intent_choice=intent_choice_from_param(request.GET.get("intent")),
            user_query=request.GET.get("q", "").strip(), interaction_context=context_from_param(request.GET.get("context")),
            baseline=baseline,
        )
        make_active = publish_transition_for(persona_spec, active)
        verdict = make_active.check(request.user, persona_spec, active=active, channel=AuditEvent.Channel.ADMIN)
        can_add = may(request.user, SpecAction.ADD, persona_spec.twin)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review {persona_spec.twin} version {persona_spec.version}",
            "subtitle": None,
            "persona_spec": persona_spec,
            "review": review,
            "status_badge": status_badge(persona_spec.status),
            "intent_choices": [(AUTO_INTENT, "classify the sample message, as chat does"),
                               (NO_INTENT, "none (no intent: no procedural modules)"),
                               *((label, label) for label in INTENT_LABELS)],
            "selected_intent": review.intent_choice,
            "context_choices": [(value, value.replace("_", " ")) for value in INTERACTION_CONTEXTS],
            "compare_choices": [(v.version, f"{v.version} ({v.get_status_display().lower()})") for v in versions],
            "baseline_title": (("Active " if review.baseline_is_active else "Version ") + review.baseline.version
                               if review.baseline else ""),
            "changelist_url": reverse("admin:personas_personaspec_changelist"),
            "history_url": reverse("admin:personas_personaspec_history", args=[persona_spec.pk]),
            "twin_url": _admin_url_if_allowed(request, persona_spec.twin, "twins", "twin"),
            "audit_url": _audit_changelist_url(request, persona_spec.twin),
            "active_review_url": review_url(review.active.pk) if review.active else None,
            "publish_action": ACTION_PAGES[make_active.name].action if verdict.allowed else None,
            "publish_refusal": _publish_refusal(persona_spec, make_active, verdict),
            "can_duplicate": can_add,
            "new_draft_url": new_draft_url(persona_spec.twin_id, persona_spec.version) if can_add else None,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "panels": review_panels_for(request, persona_spec),
            "gate_overrides": AuditEvent.objects.filter(persona_spec=persona_spec,
                                                        action=AuditEvent.Action.GATE_OVERRIDE).order_by("created_at"),
        }
        return TemplateResponse(request, "admin/personas/personaspec/review.html", context)

    # --- adding a version: a plain view, form → service → review page ---------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is not None:  # the read-only detail (popups)
            return [(None, {"fields": self.readonly_detail_fields})]
        return [(None, {"fields": ["twin", "requested_version", "spec_text", "notes"]})]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_detail_fields if obj is not None else []

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise HttpPermissionDenied
        twins = Twin.objects.order_by("name", "id")
        if request.method == "POST" and SUGGEST_FIELD in request.POST:
            form = self._with_suggested_version(request, PersonaSpecAddForm(request.POST, twins=twins), twins)
            source = None
        elif request.method == "POST":
            form = PersonaSpecAddForm(request.POST, twins=twins)
            if form.is_valid():
                try:
                    created = persona_spec_create(
                        twin=form.cleaned_data["twin"], actor=request.user, spec=form.spec, version=form.version,
                        notes=form.cleaned_data.get("notes") or "", source=PersonaSpec.Source.MANUAL,
                        channel=AuditEvent.Channel.ADMIN,
                    )
                except SERVICE_REFUSALS as refusal:
                    attach_refusal(form, refusal)  # nothing was stored: the form again, errors on their fields
                else:
                    return self._added(request, created)
            source = None
        else:
            source = self._start_from(request, report=True)
            form = PersonaSpecAddForm(twins=twins, initial={
                "twin": request.GET.get("twin") if source is None else source.twin_id,
                "spec_text": editor_text(source.spec if source else STARTER_SPEC),
            })
        return self._add_page(request, form, source, form_url, extra_context)

    def _with_suggested_version(self, request, form, twins):
        """The form again, its version field filled with the number the edited spec's changes against the
        twin's active version deserve, and why (nothing is stored)."""
        if not form.is_valid():
            return form
        errors = validate_spec(form.spec)
        if errors:
            attach_refusal(form, ValidationFailed("The persona spec is invalid.", errors=errors))
            return form
        suggestion = suggested_version(twin=form.cleaned_data["twin"], spec=form.spec)
        if suggestion.version is None:
            self.message_user(request, "No version number is left above the twin's highest version.", messages.ERROR)
            return form
        data = request.POST.copy()
        data["requested_version"] = suggestion.version
        against = (f"against the active version {suggestion.compared_with}" if suggestion.compared_with
                   else "(the twin has no active version)")
        self.message_user(request, format_html(
            "Suggested version {}: a {} change {}.{}", suggestion.version, suggestion.bump, against,
            format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((r,) for r in suggestion.reasons)))
            if suggestion.reasons else "",
        ), messages.INFO)
        return PersonaSpecAddForm(data, twins=twins)

    def _add_page(self, request, form, source, form_url, extra_context):
        admin_form = helpers.AdminForm(form, self.get_fieldsets(request), {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": "Add persona spec version",
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
            "suggest_field": SUGGEST_FIELD,
            "start_from": source,
            "start_from_twins": Twin.objects.filter(
                persona_specs__status=PersonaSpec.Status.ACTIVE).order_by("name").distinct(),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def _added(self, request, created: PersonaSpec):
        self.log_addition(request, created, "Added as a new draft version.")
        self.message_user(request, format_html(
            "Draft version {} of {} was created. Review it against the active version below, then publish it.",
            created.version, created.twin,
        ), messages.SUCCESS)
        return HttpResponseRedirect(review_url(created.pk))

    def _start_from(self, request, report: bool = False) -> PersonaSpec | None:
        """The version whose content pre-fills the editor: `?twin=<id>&from=active|<version>`."""
        twin_id, start_from = request.GET.get("twin"), request.GET.get("from")
        if not twin_id or not start_from or not self.has_view_permission(request):
            return None
        try:
            versions = PersonaSpec.objects.select_related("twin").of_twin(twin_id)
            if start_from == START_FROM_ACTIVE:
                source = versions.active().first()
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
        return self._make_active(request, queryset, PUBLISH)

    @admin.action(permissions=["publish"], description="Roll back to selected version")
    def rollback_selected(self, request, queryset):
        return self._make_active(request, queryset, ROLLBACK)

    @admin.action(permissions=["duplicate"], description="Duplicate as new draft")
    def duplicate_selected(self, request, queryset):
        source = self._exactly_one(request, queryset, DUPLICATE.verb)
        if source is None:
            return None
        verdict = DUPLICATE.check(request.user, source)
        if not verdict.allowed:
            self._refused(request, f"Could not duplicate version {source.version} of {source.twin}", verdict)
            return None
        if request.POST.get(CONFIRM_FIELD) != CONFIRM_VALUE:
            try:
                next_version = persona_spec_next_version(source.twin)
            except Conflict as refusal:  # no patch number left: nothing to confirm
                self.message_user(request, _refusal_text(f"Could not duplicate version {source.version}", refusal),
                                  messages.ERROR)
                return None
            return self._confirmation_page(request, DUPLICATE.name, source, context={
                "duplicate": True,
                "next_version": next_version,
                "active": _active(source.twin),
            })
        try:
            created = DUPLICATE.execute(user=request.user, persona_spec=source, channel=AuditEvent.Channel.ADMIN)
        except SERVICE_REFUSALS as refusal:
            self.message_user(request, _refusal_text(f"Could not duplicate version {source.version}", refusal),
                              messages.ERROR)
            return None
        self.log_addition(request, created, f"Added as a duplicate of version {source.version}.")
        self.message_user(request, format_html(
            "Version {} of {} was duplicated as the new draft {}. Nothing was published.",
            source.version, source.twin, review_link(created.pk, created.version),
        ), messages.SUCCESS)
        return _back_to_review(request, created)

    @admin.action(permissions=["view"], description="Compare the two selected versions")
    def compare_selected(self, request, queryset):
        selected = list(queryset.select_related("twin")[:3])
        if len(selected) != 2 or selected[0].twin_id != selected[1].twin_id:
            self.message_user(request, "Select exactly two versions of the same twin to compare.", messages.ERROR)
            return None
        older, newer = sorted(selected, key=lambda version: version.semver)
        return HttpResponseRedirect(f"{review_url(newer.pk)}?{urlencode({'compare': older.version})}#structural-changes")

    def _make_active(self, request, queryset, transition):
        target = self._exactly_one(request, queryset, transition.verb)
        if target is None:
            return None
        active = _active(target.twin)
        confirmed = request.POST.get(CONFIRM_FIELD) == CONFIRM_VALUE
        if confirmed and _confirmed_active_version(request) != (active.version if active else None):
            self._versions_changed(request, target)
            confirmed = False
        verdict = transition.check(request.user, target, active=active, channel=AuditEvent.Channel.ADMIN)
        may_override = _only_overridable_blocks(verdict) and may(request.user, SpecAction.OVERRIDE_GATE, target.twin)
        if not verdict.allowed and not may_override:
            self._refused(request, f"Could not {transition.verb} version {target.version} of {target.twin}",
                          verdict, hint=OTHER_ACTION_HINT.get(transition.name))
            return None
        if not confirmed:
            return self._make_active_confirmation(request, transition, target, active, verdict)
        override = request.POST.get(OVERRIDE_FIELD) == CONFIRM_VALUE
        try:
            # The transition checks again, under the twin's row lock, that the version the user saw
            # as active (and confirmed archiving) still is: otherwise nothing changes.
            result = transition.execute(user=request.user, persona_spec=target, channel=AuditEvent.Channel.ADMIN,
                                        expected_active_version=_confirmed_active_version(request),
                                        reason=request.POST.get(REASON_FIELD, ""),
                                        options={OVERRIDE_OPTION: True} if override else None)
        except ActiveVersionChanged:
            self._versions_changed(request, target)
            return self._make_active(request, _only(target), transition)  # the page for the new state
        except SERVICE_REFUSALS as refusal:
            self.message_user(request, _refusal_text(
                f"Could not {transition.verb} version {target.version} of {target.twin}", refusal,
            ), messages.ERROR)
            return None
        if not result.changed:
            self.message_user(request, f"Version {target.version} of {target.twin} is already active. "
                                       f"Nothing was changed.", messages.WARNING)
            return None
        archived = f" Version {result.previous_active_version} was archived." if result.previous_active_version else ""
        done = "Re-published" if result.action == AuditEvent.Action.REPUBLISH else ACTION_PAGES[transition.name].done
        # Django's own object history too, beside the audit trail (which stays the record of truth).
        self.log_change(request, result.persona_spec, f"{done} version {target.version}.{archived}")
        self.message_user(request, format_html(
            "{} version {} of {}: it is now the active version.{}",
            done, review_link(target.pk, target.version), target.twin, archived,
        ), messages.SUCCESS)
        return _back_to_review(request, target)

    def _versions_changed(self, request, target: PersonaSpec) -> None:
        self.message_user(request, (
            f"The versions of {target.twin} changed since the confirmation page was shown. Nothing was "
            f"changed: check the page below and confirm again."
        ), messages.WARNING)

    def _refused(self, request, prefix: str, verdict: Verdict, hint: str | None = None) -> None:
        """Every reason the transition may not happen, in one message; nothing was changed."""
        already_active = any(r.code == "status" and "already the active" in r.message for r in verdict.refusals)
        level = messages.WARNING if already_active else messages.ERROR
        reasons = []
        for refusal in verdict.refusals:
            text = refusal.message
            if refusal.code == "status" and hint and not already_active:
                text = f"{text.rstrip('.')}: {hint}."
            reasons.append(text)
        self.message_user(request, format_html(
            "{}. Nothing was changed.<ul>{}</ul>", prefix, format_html_join("", "<li>{}</li>", ((r,) for r in reasons)),
        ), level)

    def _make_active_confirmation(self, request, transition, target: PersonaSpec, active: PersonaSpec | None,
                                  verdict: Verdict):
        blocks = [refusal.block for refusal in verdict.refusals if refusal.block is not None]
        return self._confirmation_page(request, transition.name, target, context={
            "verb": "re-publish" if verdict.action == AuditEvent.Action.REPUBLISH else transition.verb,
            "active": active,
            "state": _state(active),
            "reason_field": REASON_FIELD,
            # Every registered publish check ran for this page; those that block can only be overridden.
            "publish_checks": sorted(registered_publish_checks()),
            "gate_blocks": blocks,
            "override_field": OVERRIDE_FIELD if blocks else None,
            "confirm_value": CONFIRM_VALUE,
        })

    def _confirmation_page(self, request, transition_name: str, target: PersonaSpec, context: dict):
        page = ACTION_PAGES[transition_name]
        return TemplateResponse(request, "admin/personas/personaspec/confirm_action.html", {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "subtitle": None,
            "title": page.title,
            "button": page.button,
            "action": page.action,
            "target": target,
            "target_badge": status_badge(target.status),
            "target_review_url": review_url(target.pk),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "confirm_field": CONFIRM_FIELD,
            "confirm_value": CONFIRM_VALUE,
            "state_field": STATE_FIELD,
            "next_field": NEXT_FIELD,
            "next": request.POST.get(NEXT_FIELD) if request.POST.get(NEXT_FIELD) == NEXT_REVIEW else None,
            "twin_url": _admin_url_if_allowed(request, target.twin, "twins", "twin"),
            **context,
        })

    def _exactly_one(self, request, queryset, verb: str) -> PersonaSpec | None:
        selected = list(queryset.select_related("twin", "twin__owner")[:2])
        if len(selected) == 1:
            return selected[0]
        count = queryset.count()
        self.message_user(request, f"Select exactly one version to {verb} ({count} were selected). "
                                   f"Nothing was changed.", messages.ERROR)
        return None

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


def _only_overridable_blocks(verdict: Verdict) -> bool:
    blocks = [refusal.block for refusal in verdict.refusals if refusal.block is not None]
    return bool(blocks) and len(blocks) == len(verdict.refusals) and all(block.overridable for block in blocks)


def _back_to_review(request, persona_spec: PersonaSpec) -> HttpResponseRedirect | None:
    """After a successful action: the version's review page when the action was started there."""
    if request.POST.get(NEXT_FIELD) == NEXT_REVIEW:
        return HttpResponseRedirect(review_url(persona_spec.pk))
    return None


def _only(persona_spec: PersonaSpec):
    return PersonaSpec.objects.filter(pk=persona_spec.pk)


def _active(twin) -> PersonaSpec | None:
    return PersonaSpec.objects.of_twin(twin).active().first()


def _state(active: PersonaSpec | None) -> str:
    """What the confirmation page showed as active; the transition runs only if it still is."""
    return active.version if active else NO_ACTIVE_VERSION


def _confirmed_active_version(request) -> str | None:
    confirmed = request.POST.get(STATE_FIELD, NO_ACTIVE_VERSION)
    return None if confirmed == NO_ACTIVE_VERSION else confirmed


def _publish_refusal(persona_spec: PersonaSpec, transition, verdict: Verdict) -> dict | None:
    """Why the review page offers no publish or rollback button, and who could do it; None when it
    offers one or the version is already active (nothing to explain)."""
    if verdict.allowed or persona_spec.status == PersonaSpec.Status.ACTIVE:
        return None
    who = users_who_may(SpecAction.PUBLISH, persona_spec.twin) if any(
        refusal.code == "permission" for refusal in verdict.refusals) else []
    return {"verb": transition.verb, "reasons": verdict.messages, "who": who}


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
