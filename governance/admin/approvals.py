"""Approvals in the tenant admin: a read-only list, and the view the review page's buttons post to.

Recording a decision goes through `approval_record` (channel "admin"), as the API does; this module
only turns its answer into a message on the review page.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path

from core.admin_scopes import ReadOnlyAdminMixin, TenantSchemaOnlyAdmin
from core.errors import Conflict, PermissionDenied, ValidationFailed
from governance.models import Approval
from governance.selectors import approval_status
from governance.services import approval_record
from personas.admin.display import compact_time, review_link, review_url
from personas.models import AuditEvent, PersonaSpec

DONE = {
    Approval.Decision.APPROVE: "You approved version {} of {}.",
    Approval.Decision.REQUEST_CHANGES: "You requested changes on version {} of {}.",
}


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdminMixin, TenantSchemaOnlyAdmin, admin.ModelAdmin):
    list_display = ["time", "twin", "version_link", "reviewer_username", "decision", "comment_display",
                    "content"]
    list_display_links = ["time"]
    list_filter = ["decision", ("persona_spec__twin", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["persona_spec", "persona_spec__twin"]
    search_fields = ["persona_spec__twin__name", "persona_spec__version", "reviewer_username", "comment"]
    search_help_text = "Search by twin name, version, reviewer or comment."
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-sequence"]
    fields = ["created_at", "twin", "version_link", "reviewer_username", "decision", "comment", "spec_hash",
              "content"]
    readonly_fields = fields

    @admin.display(description="time", ordering="created_at")
    def time(self, approval):
        return compact_time(approval.created_at)

    @admin.display(description="twin", ordering="persona_spec__twin__name")
    def twin(self, approval):
        return approval.persona_spec.twin

    @admin.display(description="version", ordering="persona_spec__version")
    def version_link(self, approval):
        return review_link(approval.persona_spec_id, approval.persona_spec.version)

    @admin.display(description="comment")
    def comment_display(self, approval):
        return approval.comment or "—"

    @admin.display(description="content", boolean=True)
    def content(self, approval):
        """Whether the decision was taken on the content the version has (only then does it count)."""
        return approval.matches_current_content

    # --- the review page's buttons -------------------------------------------------------------

    def get_urls(self):
        decide = path("decide/<uuid:persona_spec_id>/", self.admin_site.admin_view(self.decide_view),
                      name="governance_approval_decide")
        return [decide, *super().get_urls()]

    def decide_view(self, request, persona_spec_id):
        """POST {decision, comment} from a version's review page; back to that page with the outcome.
        (admin_view: staff only, CSRF-protected; `approval_record` decides who may.)"""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.in_scope(request):
            raise Http404
        persona_spec = (PersonaSpec.objects.select_related("twin", "twin__owner", "created_by")
                        .filter(pk=persona_spec_id).first())
        if persona_spec is None:
            raise Http404("No such persona spec version.")
        decision = request.POST.get("decision", "")
        try:
            approval_record(persona_spec=persona_spec, reviewer=request.user, decision=decision,
                            comment=request.POST.get("comment", ""), channel=AuditEvent.Channel.ADMIN)
        except (ValidationFailed, Conflict, PermissionDenied) as refusal:
            problems = "; ".join(error["message"] for error in refusal.errors if error.get("path"))
            self.message_user(request, f"Your review was not recorded: {refusal.message}"
                                       + (f" ({problems})" if problems else ""), messages.ERROR)
        else:
            status = approval_status(persona_spec)
            self.message_user(request, DONE[decision].format(persona_spec.version, persona_spec.twin)
                              + " " + _standing(status), messages.SUCCESS)
        return HttpResponseRedirect(review_url(persona_spec.pk))


def _standing(status) -> str:
    if not status.required:
        return "The twin's policy requires no approval."
    if status.satisfied:
        return "It has the approvals its policy requires and may be published."
    if status.changes_requested:
        return f"Changes are requested by {', '.join(status.changes_requested_by)}: it may not be published."
    return f"It needs {status.missing} more approval{'s' if status.missing != 1 else ''} before it may be published."
