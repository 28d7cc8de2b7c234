"""Persona governance on the twin's admin page: the twins app's `TwinAdmin`, extended.

Each twin shows its active version and its drafts at a glance, its version history and recent audit
events, and offers "Generate draft from twin data" (through `persona_spec_generate`, like the API).
Importing this module registers `TwinGovernanceAdmin` in place of the plain twin admin.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import Conflict, PermissionDenied, ValidationFailed
from personas.admin.display import review_link, review_url
from personas.admin.inlines import PersonaSpecHistoryInline, RecentAuditEventInline
from personas.models import AuditEvent, PersonaSpec
from personas.permissions import SpecAction, may
from personas.services import persona_spec_generate
from twins.admin import TwinAdmin
from twins.models import Twin

# Each generation is a write with its own audit event; a bigger batch belongs in a command.
GENERATE_BATCH_LIMIT = 20


def _inserted_before(items, is_anchor, *new) -> list:
    """`items` with `new` inserted before the first item `is_anchor` accepts (at the end if none does)."""
    index = next((i for i, item in enumerate(items) if is_anchor(item)), len(items))
    return [*items[:index], *new, *items[index:]]


class TwinGovernanceAdmin(TwinAdmin):
    list_display = _inserted_before(TwinAdmin.list_display, lambda column: column == "updated_at",
                                    "active_version", "draft_count")
    readonly_fields = [*TwinAdmin.readonly_fields, "active_version", "draft_count"]
    fieldsets = _inserted_before(TwinAdmin.fieldsets, lambda fieldset: fieldset[0] == "Record",
                                 ("Persona governance", {"fields": ["active_version", "draft_count"]}))
    inlines = [*TwinAdmin.inlines, PersonaSpecHistoryInline, RecentAuditEventInline]
    actions = [*TwinAdmin.actions, "generate_draft"]
    change_form_template = "admin/personas/twin_change_form.html"

    def get_queryset(self, request):
        specs = PersonaSpec.objects.filter(twin=OuterRef("pk"))
        active = specs.filter(status=PersonaSpec.Status.ACTIVE)
        drafts = (
            specs.filter(status=PersonaSpec.Status.DRAFT).order_by().values("twin")
            .annotate(count=Count("pk")).values("count")
        )
        return super().get_queryset(request).annotate(
            active_spec_id=Subquery(active.values("pk")[:1]),
            active_spec_version=Subquery(active.values("version")[:1]),
            draft_total=Coalesce(Subquery(drafts, output_field=IntegerField()), Value(0)),
        )

    @admin.display(description="active persona spec")
    def active_version(self, twin):
        if not getattr(twin, "active_spec_id", None):
            return "none (legacy persona)"
        return review_link(twin.active_spec_id, twin.active_spec_version)

    @admin.display(description="drafts", ordering="draft_total")
    def draft_count(self, twin):
        total = getattr(twin, "draft_total", 0)
        if not total:
            return 0
        url = f"{reverse('admin:personas_personaspec_changelist')}?twin__id__exact={twin.pk}&status__exact=draft"
        return format_html('<a href="{}">{}</a>', url, total)

    # --- "Draft a first spec": one click from a legacy persona to a draft under review -------------

    def get_urls(self):
        draft_first_spec = path(
            "<path:object_id>/draft-first-spec/", self.admin_site.admin_view(self.draft_first_spec_view),
            name="twins_twin_draft_first_spec",
        )
        return [draft_first_spec, *super().get_urls()]

    def draft_first_spec_view(self, request, object_id):
        """Generate a draft from the twin's legacy persona (settings and approved memories), as "Generate
        draft from twin data" does, and open its review page. Offered where a reply's trace says the twin
        answered from its legacy persona; whoever may add versions to the twin (its owner included) may."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        twin = self.get_object(request, unquote(object_id)) if self.in_scope(request) else None
        if twin is None:
            raise Http404("No such twin.")
        if not may(request.user, SpecAction.ADD, twin):
            raise HttpPermissionDenied
        try:
            result = persona_spec_generate(twin=twin, actor=request.user, channel=AuditEvent.Channel.ADMIN)
        except (ValidationFailed, Conflict, PermissionDenied) as refusal:
            self.message_user(request, f"Could not draft a spec for {twin}: {refusal.message}", messages.ERROR)
            back = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
                back = reverse("admin:twins_twin_change", args=[twin.pk])
            return HttpResponseRedirect(back)
        self._report_generated(request, twin, result)
        return HttpResponseRedirect(review_url(result.persona_spec.pk))

    def _report_generated(self, request, twin, result) -> None:
        self.message_user(request, format_html(
            "Generated draft {} of {} from its settings and {} approved memories. Review it before publishing.",
            review_link(result.persona_spec.pk, result.persona_spec.version), twin,
            sum(1 for source in result.generated_from if source.startswith("memory")),
        ), messages.SUCCESS)

    def has_generate_spec_permission(self, request):
        return request.user.has_perm("personas.add_personaspec")

    @admin.action(permissions=["generate_spec"], description="Generate draft from twin data")
    def generate_draft(self, request, queryset):
        twins = list(queryset[: GENERATE_BATCH_LIMIT + 1])
        if len(twins) > GENERATE_BATCH_LIMIT:
            self.message_user(request, f"Select at most {GENERATE_BATCH_LIMIT} twins at a time. Nothing was generated.",
                              messages.ERROR)
            return None
        drafts = []
        for twin in twins:
            try:
                result = persona_spec_generate(twin=twin, actor=request.user, channel=AuditEvent.Channel.ADMIN)
            except (ValidationFailed, Conflict, PermissionDenied) as refusal:
                self.message_user(request, f"Could not generate a draft for {twin}: {refusal.message}", messages.ERROR)
                continue
            drafts.append(result.persona_spec)
            self._report_generated(request, twin, result)
        if len(twins) == 1 and drafts:
            return HttpResponseRedirect(review_url(drafts[0].pk))
        return None


# Importing `twins.admin` above registered the plain admin, whatever the order apps are loaded in.
admin.site.unregister(Twin)
admin.site.register(Twin, TwinGovernanceAdmin)
