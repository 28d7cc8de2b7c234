from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from personas.intents import INTENT_SOURCES
from personas.models import NOTES_MAX_LENGTH, REASON_MAX_LENGTH, AuditEvent, PersonaSpec
from personas.prompting import INTERACTION_CONTEXT_CHOICES
from personas.spec import INTENT_LABELS, SEMVER_RE

SEMVER_MAX_LENGTH = 40


@extend_schema_field({"type": "string", "pattern": SEMVER_RE.pattern, "maxLength": SEMVER_MAX_LENGTH})
class SemverField(serializers.CharField):
    """MAJOR.MINOR.PATCH, without leading zeros. The services parse it (and bound each part), so the
    message names the exact problem; the pattern documents it for clients."""

    def __init__(self, **kwargs):
        super().__init__(max_length=SEMVER_MAX_LENGTH, **kwargs)


@extend_schema_field({"type": "object", "additionalProperties": True,
                      "description": "A persona spec v1 document (see /api/schemas/persona-spec-v1.json)."})
class SpecDocumentField(serializers.JSONField):
    """Any JSON here; the services validate it as a persona spec and report every problem at once."""


@extend_schema_field({"type": "string", "nullable": True})
class UsernameField(serializers.Field):
    """The username of the user a version's `relation` points to; null without one (never set, or the
    account was deleted). Read from the `<relation>_username` annotation when the row has it (the
    compiled reads of personas.selectors load no related row), else from the related row."""

    def __init__(self, relation: str, **kwargs):
        self.relation = relation
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, persona_spec):
        annotated = f"{self.relation}_username"
        if hasattr(persona_spec, annotated):
            return getattr(persona_spec, annotated)
        user = getattr(persona_spec, self.relation)
        return None if user is None else user.username


# Read-only, and a plain serializer rather than a ModelSerializer: every list, retrieve and GET active
# builds one, and a ModelSerializer derives its fields from the model on every instance (~0.1 ms).
class PersonaSpecSerializer(serializers.Serializer):
    """A stored version: `{id, twin_id, version, status, spec, spec_hash, source, notes, created_by,
    created_at, published_at, published_by}` (users by username)."""

    id = serializers.UUIDField(read_only=True)
    twin_id = serializers.UUIDField(read_only=True)
    version = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=PersonaSpec.Status.choices, read_only=True)
    spec = serializers.JSONField(read_only=True)
    spec_hash = serializers.CharField(read_only=True)
    source = serializers.ChoiceField(choices=PersonaSpec.Source.choices, read_only=True)
    notes = serializers.CharField(read_only=True)
    created_by = UsernameField("created_by", help_text="Null when the author's account was deleted.")
    created_at = serializers.DateTimeField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    published_by = UsernameField("published_by", help_text="Null until the version is published.")


class PersonaSpecCreateSerializer(serializers.Serializer):
    spec = SpecDocumentField(help_text="The persona spec v1 document (see /api/schemas/persona-spec-v1.json).")
    version = SemverField(required=False,
                                    help_text="MAJOR.MINOR.PATCH; omitted: the next patch after the highest version.")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH, default="")


class PersonaSpecGenerateSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH, default="")
    auto_publish = serializers.BooleanField(required=False, default=False)


class PublishRequestSerializer(serializers.Serializer):
    expected_active_version = SemverField(
        required=False, allow_null=True,
        help_text="Publish only if this is still the active version (null: only if none is); else 409.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=REASON_MAX_LENGTH, default="",
        help_text="Why: stored on the audit event (publish, rollback or re-publish) and shown in the audit trail.",
    )
    override_gate = serializers.BooleanField(
        required=False, default=False,
        help_text="Publish despite a failing evaluation gate: needs personas.override_publish_gate and a reason; "
        "audited as gate_override. Approvals cannot be overridden.",
    )


class PromptPlanPreviewSerializer(serializers.Serializer):
    persona_spec_version = serializers.CharField(allow_null=True)
    intent_label = serializers.CharField(allow_null=True)
    sections = serializers.ListField(child=serializers.DictField())
    few_shot_ids = serializers.ListField(child=serializers.CharField())
    selected_module_ids = serializers.ListField(child=serializers.CharField())
    deterministic_rules = serializers.DictField()
    fingerprint = serializers.CharField()
    rendered = serializers.CharField()


BUMPS = ["major", "minor", "patch", "none"]


class SuggestedVersionSerializer(serializers.Serializer):
    version = serializers.CharField(allow_null=True, help_text="Free, above the twin's highest version.")
    bump = serializers.ChoiceField(choices=BUMPS)
    reasons = serializers.ListField(child=serializers.CharField())
    compared_with = serializers.CharField(allow_null=True, help_text="The active version, or null when none.")


class PersonaSpecCreatedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PersonaSpec.Status.choices)
    persona_spec = PersonaSpecSerializer()
    prompt_plan_preview = PromptPlanPreviewSerializer()
    suggested_version = serializers.CharField(
        source="suggestion.version", allow_null=True,
        help_text="The number this content deserves against the active version (docs/persona-spec.md); "
        "the draft itself got the next patch unless a version was given.",
    )
    suggestion = SuggestedVersionSerializer()


class PersonaSpecGeneratedSerializer(PersonaSpecCreatedSerializer):
    generated_from = serializers.ListField(child=serializers.CharField())


class ActivePersonaSpecSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    spec = PersonaSpecSerializer(allow_null=True)


class PublishedSerializer(serializers.Serializer):
    status = serializers.CharField()
    action = serializers.ChoiceField(
        choices=["publish", "republish", "rollback", ""],
        help_text="What the audit trail recorded; empty when the version was already active (nothing changed).",
    )
    persona_spec = PersonaSpecSerializer()
    previous_active_version = serializers.CharField(allow_null=True)


class AuditEventSerializer(serializers.ModelSerializer):
    twin_id = serializers.UUIDField(read_only=True)
    actor = serializers.CharField(source="actor_username", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "twin_id", "created_at", "actor", "action", "channel", "version", "previous_version",
                  "reason", "details"]
        read_only_fields = fields


# What `personas.prompting.render_system_prompt` records about a prompt; a chat reply's trace adds
# the provider's side (chat.serializers.TraceSerializer).
class PromptTraceSerializer(serializers.Serializer):
    persona_spec_version = serializers.CharField(allow_null=True)
    prompt_source = serializers.ChoiceField(choices=["persona_spec", "legacy"])
    fallback_reason = serializers.CharField(allow_null=True)
    intent_label = serializers.CharField(allow_null=True)
    intent_confidence = serializers.FloatField(
        allow_null=True, min_value=0, max_value=1,
        help_text="How sure the intent classifier was (1.0 for a rule); null when the intent was chosen by hand.",
    )
    intent_source = serializers.ChoiceField(
        choices=list(INTENT_SOURCES), allow_null=True,
        help_text="What decided the intent: a high-precision rule, the trained model, or the fallback label "
                  "when the model was not confident; null when the intent was chosen by hand.",
    )
    interaction_context = serializers.ChoiceField(choices=INTERACTION_CONTEXT_CHOICES)
    module_ids = serializers.ListField(child=serializers.CharField())
    few_shot_ids = serializers.ListField(child=serializers.CharField())
    prompt_fingerprint = serializers.CharField()


PREVIEW_MESSAGE_MAX_LENGTH = 8000  # as a chat message
# The diff's sample message travels in the query string: at 12 bytes a character once percent-encoded
# (4-byte UTF-8), 300 keep the request line within gunicorn's default limit (4094 bytes), beyond which
# gunicorn answers an HTML 414 before the API sees the request. Longer messages: POST .../preview.
DIFF_MESSAGE_MAX_LENGTH = 300


class PreviewRequestSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=PREVIEW_MESSAGE_MAX_LENGTH, trim_whitespace=True,
                                    help_text="The user message of the chat turn to preview.")
    interaction_context = serializers.ChoiceField(
        choices=INTERACTION_CONTEXT_CHOICES, required=False,
        help_text="Default: as chat decides for the caller (owner_chat for the twin's owner, else public_share).",
    )
    intent_label = serializers.ChoiceField(
        choices=list(INTENT_LABELS), required=False,
        help_text="Default: classified from the message, as chat does.",
    )


class PreviewSerializer(serializers.Serializer):
    """Exactly what a chat turn with that message would send if this version were active."""

    system_prompt = serializers.CharField(source="text")
    prompt_fingerprint = serializers.CharField(source="fingerprint")
    trace = PromptTraceSerializer()


class ChangeSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="JSON Pointer: into `to` for added and changed, into `from` for removed.")
    kind = serializers.ChoiceField(choices=["added", "removed", "changed"])
    section = serializers.CharField()
    before = serializers.JSONField(required=False, help_text="Absent for added.")
    after = serializers.JSONField(required=False, help_text="Absent for removed.")
    item_id = serializers.CharField(allow_null=True, help_text="The module's or example's id, where it has one.")
    note = serializers.CharField(allow_null=True)


class PromptDiffSerializer(serializers.Serializer):
    intent = serializers.CharField(allow_null=True)
    interaction_context = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    unified = serializers.CharField(allow_blank=True, help_text="Unified diff of the two full system prompts.")


class VersionDiffSerializer(serializers.Serializer):
    from_ = serializers.CharField(source="before.version")
    to = serializers.CharField(source="after.version")
    changes = serializers.SerializerMethodField()
    prompt_diff = serializers.SerializerMethodField()
    size_delta_chars = serializers.IntegerField(source="diff.size_delta_chars")
    suggested_bump = serializers.ChoiceField(source="diff.suggested_bump", choices=BUMPS)
    bump_reasons = serializers.ListField(source="diff.bump_reasons", child=serializers.CharField())

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # `from` is a Python keyword
        return fields

    @extend_schema_field(ChangeSerializer(many=True))
    def get_changes(self, comparison) -> list[dict]:
        return [ChangeSerializer(change.as_dict()).data for change in comparison.diff.changes]

    @extend_schema_field(PromptDiffSerializer)
    def get_prompt_diff(self, comparison) -> dict:
        return PromptDiffSerializer({
            "intent": comparison.intent_label, "interaction_context": comparison.interaction_context,
            "message": comparison.message, "unified": comparison.unified_prompt_diff,
        }).data
