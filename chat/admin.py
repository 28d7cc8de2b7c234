"""Conversations and messages in the tenant admin: read-only, filterable by twin and by trace."""

from django.contrib import admin

from chat.models import Conversation, Message
from core.admin_scopes import ReadOnlyAdminMixin, TenantSchemaOnlyAdmin
from personas.compliance import LOW_SCORE, score_percent


class ReadOnlyAdmin(ReadOnlyAdminMixin, TenantSchemaOnlyAdmin, admin.ModelAdmin):
    """Chat history is a record of what was said: nobody edits or adds it through the admin."""

    # Deleting a conversation or message, with the delete permission, has always been possible here.
    read_only_allows_delete = True


class TraceValueFilter(admin.SimpleListFilter):
    trace_key: str

    def lookups(self, request, model_admin):
        values = (
            Message.objects.filter(role=Message.Role.ASSISTANT)
            .exclude(**{f"trace__{self.trace_key}": None})
            .values_list(f"trace__{self.trace_key}", flat=True)
            .distinct()
        )
        return [(value, value) for value in sorted({str(v) for v in values})]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"trace__{self.trace_key}": self.value()})
        return queryset


class SpecVersionFilter(TraceValueFilter):
    title = "spec version"
    parameter_name = "spec_version"
    trace_key = "persona_spec_version"


class PromptSourceFilter(TraceValueFilter):
    title = "prompt source"
    parameter_name = "prompt_source"
    trace_key = "prompt_source"


class ComplianceFilter(admin.SimpleListFilter):
    """Replies by their persona compliance score (the chat page's red badge is "low")."""

    title = "compliance"
    parameter_name = "compliance"

    def lookups(self, request, model_admin):
        return [("low", f"low (< {LOW_SCORE:g})"), ("ok", f"ok (≥ {LOW_SCORE:g})"), ("unchecked", "not checked")]

    def queryset(self, request, queryset):
        # MessageAdmin.get_queryset annotates compliance_score.
        if self.value() == "low":
            return queryset.filter(compliance_score__lt=LOW_SCORE)
        if self.value() == "ok":
            return queryset.filter(compliance_score__gte=LOW_SCORE)
        if self.value() == "unchecked":
            return queryset.filter(role=Message.Role.ASSISTANT, compliance_score__isnull=True)
        return queryset


class MessageInline(TenantSchemaOnlyAdmin, admin.TabularInline):
    model = Message
    extra = 0
    fields = ["role", "content", "spec_version", "created"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description="spec version")
    def spec_version(self, message):
        return (message.trace or {}).get("persona_spec_version") or ("legacy" if message.trace else "")


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ["title", "twin", "user", "interaction_context", "updated"]
    list_filter = ["twin", "interaction_context"]
    search_fields = ["title", "twin__name", "user__username"]
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["created", "twin", "role", "short_content", "spec_version", "prompt_source", "compliance"]
    list_filter = [("conversation__twin", admin.RelatedOnlyFieldListFilter), SpecVersionFilter, PromptSourceFilter,
                   ComplianceFilter, "role"]
    search_fields = ["content"]
    list_select_related = ["conversation__twin"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_compliance_score()

    @admin.display(description="twin", ordering="conversation__twin__name")
    def twin(self, message):
        return message.conversation.twin

    @admin.display(description="content")
    def short_content(self, message):
        return message.content[:80]

    @admin.display(description="spec version")
    def spec_version(self, message):
        return (message.trace or {}).get("persona_spec_version") or "—"

    @admin.display(description="prompt source")
    def prompt_source(self, message):
        return (message.trace or {}).get("prompt_source") or "—"

    @admin.display(description="compliance", ordering="compliance_score")
    def compliance(self, message):
        score = message.compliance_score
        return "—" if score is None else score_percent(score)
