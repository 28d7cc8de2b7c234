"""Evaluations in the tenant admin: cases (edited through the services, imported and exported as JSON
Lines), runs read-only with their results, and the review page's "Run evaluation" button."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.admin_scopes import ReadOnlyAdminMixin, TenantSchemaOnlyAdmin
from core.errors import Conflict, PermissionDenied, ValidationFailed
from evaluations.models import EvalCase, EvalResult, EvalRun
from evaluations.services import (
    case_document,
    eval_case_create,
    eval_case_update,
    eval_cases_export,
    eval_cases_import,
    eval_run_cancel,
    eval_run_request,
)
from personas.models import PersonaSpec
from twins.models import Twin

REFUSALS = (ValidationFailed, Conflict, PermissionDenied)


class EvalCaseForm(forms.ModelForm):
    """The case as its JSON document (what the API takes), so the admin validates exactly like it."""

    document = forms.CharField(widget=forms.Textarea(attrs={"rows": 16, "cols": 100, "class": "vLargeTextField"}),
                               help_text="The case as JSON: name, message, interaction_context, expected_intent, "
                                         "expect, tags, active (docs/evaluation.md).")

    class Meta:
        model = EvalCase
        fields = ["twin"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:  # (a new case has its UUID already: pk says nothing)
            self.fields["twin"].disabled = True
            self.initial["document"] = json.dumps(case_document(self.instance), indent=2, ensure_ascii=False)
        else:
            self.initial.setdefault("document", json.dumps(
                {"name": "", "message": "", "expected_intent": None, "expect": {}, "tags": [], "active": True},
                indent=2))

    def clean_document(self):
        try:
            return json.loads(self.cleaned_data["document"])
        except (json.JSONDecodeError, RecursionError) as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from None


@admin.register(EvalCase)
class EvalCaseAdmin(TenantSchemaOnlyAdmin, admin.ModelAdmin):
    form = EvalCaseForm
    list_display = ["name", "twin", "expected_intent", "active", "updated_at"]
    list_filter = [("twin", admin.RelatedOnlyFieldListFilter), "active", "expected_intent"]
    search_fields = ["name", "message"]
    actions = ["export_jsonl"]
    change_list_template = "admin/evaluations/evalcase/change_list.html"

    def get_fields(self, request, obj=None):
        return ["twin", "document"]

    def save_model(self, request, obj, form, change):
        document = form.cleaned_data["document"]
        if change:
            updated = eval_case_update(case=EvalCase.objects.get(pk=obj.pk), actor=request.user, changes=document)
        else:
            updated = eval_case_create(twin=form.cleaned_data["twin"], actor=request.user, data=document)
        obj.pk, obj.name = updated.pk, updated.name
        obj._state.adding = False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except REFUSALS as refusal:
            errors = format_html_join("", "<li><code>{}</code>: {}</li>",
                                      ((e.get("path") or "/", e.get("message")) for e in refusal.errors))
            self.message_user(request, format_html("{}<ul>{}</ul>", refusal.message, errors), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(permissions=["view"], description="Export selected cases as JSON Lines")
    def export_jsonl(self, request, queryset):
        response = HttpResponse(eval_cases_export(cases=queryset.order_by("name")),
                                content_type="application/x-ndjson; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="eval-cases.jsonl"'
        return response

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view), name="evaluations_evalcase_import"),
                *super().get_urls()]

    def import_view(self, request):
        """Upload a JSON Lines file for one twin: upserts by name, all cases or none."""
        if not self.has_add_permission(request):
            from django.core.exceptions import PermissionDenied as HttpPermissionDenied

            raise HttpPermissionDenied
        twins = Twin.objects.order_by("name")
        if request.method == "POST":
            twin = get_object_or_404(Twin, pk=request.POST.get("twin"))
            upload = request.FILES.get("file")
            text = upload.read().decode("utf-8", errors="replace") if upload else request.POST.get("jsonl", "")
            try:
                result = eval_cases_import(twin=twin, actor=request.user, jsonl=text)
            except REFUSALS as refusal:
                errors = format_html_join("", "<li><code>{}</code>: {}</li>",
                                          ((e.get("path") or "/", e.get("message")) for e in refusal.errors))
                self.message_user(request, format_html("{}<ul>{}</ul>", refusal.message, errors), messages.ERROR)
            else:
                self.message_user(request, f"Imported into {twin}: {result.created} created, {result.updated} "
                                           f"updated, {result.unchanged} unchanged.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:evaluations_evalcase_changelist"))
        return TemplateResponse(request, "admin/evaluations/evalcase/import.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": "Import evaluation cases",
            "twins": twins,
        })


class EvalResultInline(ReadOnlyAdminMixin, TenantSchemaOnlyAdmin, admin.TabularInline):
    model = EvalResult
    extra = 0
    can_delete = False
    fields = ["position", "name", "source", "intent_label", "passed", "failed_checks", "reply", "latency_ms"]
    readonly_fields = fields

    @admin.display(description="failed checks")
    def failed_checks(self, result):
        failed = [f"{check['name']}: {check['detail']}" for check in result.checks if not check["passed"]]
        return "; ".join(failed) or "—"


@admin.register(EvalRun)
class EvalRunAdmin(ReadOnlyAdminMixin, TenantSchemaOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "twin", "version", "status", "pass_rate", "provider", "model"]
    list_filter = [("twin", admin.RelatedOnlyFieldListFilter), "status", "provider"]
    fields = ["twin", "version", "spec_hash", "provider", "model", "status", "progress_done", "progress_total",
              "summary", "error", "requested_by", "created_at", "started_at", "finished_at"]
    readonly_fields = fields
    inlines = [EvalResultInline]

    @admin.display(description="pass rate")
    def pass_rate(self, run):
        rate = (run.summary or {}).get("pass_rate")
        return "—" if rate is None else f"{rate:.0%}"

    def get_urls(self):
        return [path("request/<path:spec_id>/", self.admin_site.admin_view(self.request_view),
                     name="evaluations_evalrun_request"),
                path("<path:run_id>/cancel/", self.admin_site.admin_view(self.cancel_view),
                     name="evaluations_evalrun_cancel"),
                *super().get_urls()]

    def request_view(self, request, spec_id):
        """POST from a version's review page: queue its evaluation (or find the one already queued)."""
        persona_spec = get_object_or_404(PersonaSpec.objects.select_related("twin__owner"), pk=unquote(spec_id))

        def request_run() -> str:
            requested = eval_run_request(persona_spec=persona_spec, actor=request.user)
            what = "Queued" if requested.created else "Already queued or running:"
            return (f"{what} the evaluation of {persona_spec.twin} {persona_spec.version} "
                    f"({requested.run.progress_total} cases).")

        return self._from_review_page(request, persona_spec.pk, request_run, "Could not run the evaluation")

    def cancel_view(self, request, run_id):
        """POST from a version's review page: cancel its queued or running evaluation."""
        run = get_object_or_404(EvalRun.objects.select_related("twin__owner"), pk=unquote(run_id))

        def cancel() -> str:
            eval_run_cancel(run=run, actor=request.user)
            return f"Cancelled the evaluation of {run.twin} {run.version}."

        return self._from_review_page(request, run.persona_spec_id, cancel, "Could not cancel the evaluation")

    def _from_review_page(self, request, spec_pk, act, refused: str):
        """A button of the review page's evaluation panel: on POST, `act()` and show what it says (or the
        refusal after `refused`); then back to the panel. Any other method just goes back."""
        if request.method == "POST":
            try:
                self.message_user(request, act(), messages.SUCCESS)
            except REFUSALS as refusal:
                self.message_user(request, f"{refused}: {refusal.message}", messages.ERROR)
        return HttpResponseRedirect(reverse("admin:personas_personaspec_review", args=[spec_pk]) + "#panel-evaluation")
